"""The push commands through ``kb.cli.main.main``."""

import json
from datetime import date, timedelta

import pytest
from sqlmodel import Session

from kb.cli.main import main
from kb.config import get_settings
from kb.models import Policy, Status
from push.matching.synthetic import make_uscc


@pytest.fixture(autouse=True)
def kb_home(tmp_path, monkeypatch):
    """Every CLI call in a test works in its own folder."""
    monkeypatch.setenv("KB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KB_INDEX_DIR", str(tmp_path / "indexes"))
    monkeypatch.delenv("KB_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "size", "industry"),
    [
        (["--industry", "C", "--employees", "500", "--revenue", "1000"], "small", "工业"),
        (["--industry", "3911", "--employees", "1200", "--revenue", "45000"], "large", "工业"),
        (["--industry", "52", "--employees", "8", "--revenue", "5000"], "micro", "零售业"),
        (
            ["--industry", "7010", "--revenue", "1000", "--assets", "6000"],
            "medium",
            "房地产开发经营",
        ),
        (["--industry", "C", "--employees", "500"], "unknown", "工业"),
        (["--industry", "70", "--employees", "5"], "unknown", None),
        (["--industry", "J", "--employees", "5"], "not_covered", None),
    ],
)
def test_classify_json_contract(capsys, argv, size, industry):
    code, out, _ = run(capsys, "firms", "classify", *argv, "--json")
    data = json.loads(out)
    assert code == 0
    assert set(data) == {"size", "size_industry", "standard", "reasons"}
    assert (data["size"], data["size_industry"]) == (size, industry)
    assert "统计上大中小微型企业划分办法（2017）" in data["standard"]
    assert data["reasons"]


def test_classify_missing_indicator_is_named(capsys):
    _, out, _ = run(capsys, "firms", "classify", "--industry", "C", "--revenue", "5", "--json")
    assert "缺少从业人员（X）" in json.loads(out)["reasons"][0]


def test_classify_bad_code_exits_2(capsys):
    code, _, err = run(capsys, "firms", "classify", "--industry", "99", "--json")
    assert code == 2 and "大类99" in err


def test_classify_text_output(capsys):
    code, out, _ = run(capsys, "firms", "classify", "--industry", "C", "--employees", "5",
                       "--revenue", "5")  # fmt: skip
    assert code == 0 and out.startswith("微型（工业）")


def _import(capsys, tmp_path):
    path = tmp_path / "firms.csv"
    path.write_text(
        "统一社会信用代码,企业名称,行业代码,从业人员,营业收入,镇街,资质\n"
        f"{make_uscc(1)},甲电子,3911,50,1000,城关镇,高新技术企业\n"
        f"{make_uscc(2)},乙电子,3911,50,1000,城关镇,\n"
        f"{make_uscc(3)[:-1]}0,坏代码,3911,50,1000,城关镇,\n"
        f"{make_uscc(4)},丙超市,5211,8,50,城关镇,\n",
        encoding="utf-8",
    )
    return run(capsys, "firms", "import", str(path))


def test_import_reports_rows_and_exits_1_but_keeps_good_rows(capsys, tmp_path):
    code, out, _ = _import(capsys, tmp_path)
    assert code == 1
    assert "新增3家" in out and "失败1行" in out and "第4行" in out
    code, out, _ = run(capsys, "match", "--firm", make_uscc(4), "--json")
    assert code == 0 and json.loads(out)["firm"]["name"] == "丙超市"


def _add_policy(**fields) -> int:
    from kb.cli.context import Context

    with Session(Context().engine) as session:
        policy = Policy(source_key=f"cli/{fields['title']}", status=Status.PUBLISHED, **fields)
        session.add(policy)
        session.commit()
        return policy.id


def test_match_both_directions_with_explanations(capsys, tmp_path):
    _import(capsys, tmp_path)
    today = date(2025, 6, 1)
    pid = _add_policy(title="电子信息制造业高企奖励", industries_include=["C"],
                      industries_exclude=["3912"], qualifications=["高新技术企业"],
                      apply_to=today + timedelta(days=5))  # fmt: skip
    code, out, _ = run(capsys, "match", "--policy", str(pid), "--date", today.isoformat(), "--json")
    data = json.loads(out)
    assert code == 0
    assert (data["eligible_count"], data["near_miss_count"]) == (1, 1)
    match = data["matches"][0]
    assert match["uscc"] == make_uscc(1)
    industry = next(c for c in match["criteria"] if c["criterion"] == "industry")
    assert industry["met"] and "属于政策支持的C 制造业" in industry["detail"]
    assert data["near_misses"][0]["summary"] == "仅差：需为高新技术企业"

    code, out, _ = run(
        capsys, "match", "--firm", make_uscc(2), "--date", today.isoformat(), "--json"
    )
    data = json.loads(out)
    assert data["size"]["size"] == "small"
    assert data["matches"] == []
    assert data["near_misses"][0]["policy_id"] == pid
    assert data["near_misses"][0]["missing"] == ["需为高新技术企业"]

    code, out, _ = run(capsys, "match", "--policy", str(pid), "--date", "2025-06-07")
    assert code == 0 and "已截止" in out


def test_match_unknown_firm_and_policy_exit_2(capsys):
    assert run(capsys, "match", "--firm", make_uscc(77))[0] == 2
    assert run(capsys, "match", "--policy", "12345")[0] == 2
    assert run(capsys, "match", "--firm", "not-a-code")[0] == 2


def test_checkup_command(capsys, tmp_path):
    _import(capsys, tmp_path)
    _add_policy(title="小微企业稳岗补贴", sizes=["small", "micro"], phone="0517-1")
    code, out, _ = run(capsys, "checkup", "--firm", make_uscc(4), "--json")
    data = json.loads(out)
    assert code == 0
    assert data["applicable"][0]["title"] == "小微企业稳岗补贴"
    assert data["applicable"][0]["service"][-1] == {
        "key": "phone",
        "label": "咨询电话",
        "value": "0517-1",
    }
