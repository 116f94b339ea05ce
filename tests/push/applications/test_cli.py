"""``policykb applications add / advance / show`` end to end, and refusals that change nothing."""

import json

import pytest
from sqlmodel import Session, func, select

from kb.cli.main import main
from kb.config import get_settings
from kb.database.db import create_schema, make_engine
from kb.staff.models import AuditEntry
from push.applications.models import ApplicationMove
from push.delivery.models import Push, PushKind
from tests.push.applications.app_utils import seed


@pytest.fixture
def env(tmp_path, monkeypatch):
    """The CLI's folder, seeded with two departments, their handlers, policies and firms."""
    monkeypatch.setenv("KB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KB_INDEX_DIR", str(tmp_path / "indexes"))
    monkeypatch.setenv("KB_EMBEDDING_MODEL", "none")
    monkeypatch.delenv("KB_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    settings = get_settings()
    settings.ensure_dirs()
    engine = make_engine(settings.db_url)
    create_schema(engine)
    yield engine, seed(engine)
    engine.dispose()
    get_settings.cache_clear()


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def counts(engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return tuple(session.exec(select(func.count()).select_from(m)).one()
                     for m in (ApplicationMove, AuditEntry, Push))


def test_flow_from_submitted_to_paid(env, capsys):
    engine, s = env
    code, out, _ = run(capsys, "applications", "add", "--firm", s.uscc, "--policy", s.policy_id,
                       "--amount", "50", "--json")
    assert code == 0
    ref = json.loads(out)["ref"]
    assert ref.startswith("SB") and len(ref) == 12
    for node, extra in (("accepted", []), ("reviewing", []), ("publicity", ["--note", "公示5天"]),
                        ("approved", ["--amount", "30"]), ("paid", ["--amount", "30"])):
        code, out, err = run(capsys, "applications", "advance", ref, "--to", node,
                             "--by", "kj-clerk", *extra, "--json")
        assert code == 0, err
    code, out, _ = run(capsys, "applications", "show", ref.lower(), "--json")
    data = json.loads(out)
    assert [n["node"] for n in data["nodes"]] == [
        "submitted", "accepted", "reviewing", "publicity", "approved", "paid"]
    assert data["node"] == "paid" and data["amount_approved"] == 30 and data["amount_paid"] == 30
    first, publicity = data["nodes"][0], data["nodes"][3]
    assert set(first) >= {"node", "at", "by", "note", "due", "overdue"}
    assert publicity["by"] == "赵经办" and publicity["note"] == "公示5天"
    assert publicity["due"] and publicity["overdue"] is False
    assert "高新技术企业证书" in first["know"]["materials"]
    assert data["nodes"][-1]["due"] is None  # nothing is promised after the money is paid
    with Session(engine) as session:
        kinds = session.exec(select(Push.kind).where(Push.kind == PushKind.APPLICATION)).all()
        actions = session.exec(select(AuditEntry.action).where(
            AuditEntry.record_kind == "application")).all()
    assert len(kinds) == 6  # one notice per move on the firm's one channel
    assert actions.count("application.move") == 5 and actions.count("application.create") == 1


@pytest.mark.parametrize(("argv", "message"), [
    (["--to", "paid", "--by", "kj-clerk"], "不能转到“已拨付”"),
    (["--to", "accepted", "--by", "sw-clerk"], "只能处理本部门"),
    (["--to", "accepted", "--by", "kj-writer"], "经办人"),
    (["--to", "accepted", "--by", "nobody"], "没有用户名或姓名为 nobody"),
    (["--to", "returned", "--by", "kj-clerk"], "需补正的材料"),
    (["--to", "shipped", "--by", "kj-clerk"], "未知的节点"),
    (["--to", "accepted", "--by", "kj-clerk", "--amount", "5"], "只有核定"),
])
def test_refused_moves_change_nothing(env, capsys, argv, message):
    engine, s = env
    _, out, _ = run(capsys, "applications", "add", "--firm", s.uscc, "--policy", s.policy_id,
                    "--json")
    ref = json.loads(out)["ref"]
    before = counts(engine)
    code, _, err = run(capsys, "applications", "advance", ref, "--to", *argv[1:], "--json")
    assert code == 2 and message in err
    assert counts(engine) == before
    _, out, _ = run(capsys, "applications", "show", ref, "--json")
    assert json.loads(out)["node"] == "submitted"


def test_paid_more_than_approved_and_double_application_are_refused(env, capsys):
    engine, s = env
    _, out, _ = run(capsys, "applications", "add", "--firm", s.uscc, "--policy", s.policy_id,
                    "--json")
    ref = json.loads(out)["ref"]
    for node in ("accepted", "reviewing", "publicity"):
        run(capsys, "applications", "advance", ref, "--to", node, "--by", "kj-clerk")
    run(capsys, "applications", "advance", ref, "--to", "approved", "--by", "kj-clerk",
        "--amount", "20")
    code, _, err = run(capsys, "applications", "advance", ref, "--to", "paid", "--by",
                       "kj-clerk", "--amount", "25")
    assert code == 2 and "超过核定金额" in err
    code, _, err = run(capsys, "applications", "add", "--firm", s.uscc, "--policy", s.policy_id)
    assert code == 2 and ref in err
    code, _, err = run(capsys, "applications", "add", "--firm", "91320000MA00000000",
                       "--policy", s.policy_id)
    assert code == 2


def test_a_wrong_amount_is_corrected_by_a_later_move_not_edited(env, capsys):
    engine, s = env
    _, out, _ = run(capsys, "applications", "add", "--firm", s.uscc, "--policy", s.policy_id,
                    "--json")
    ref = json.loads(out)["ref"]
    for node in ("accepted", "reviewing", "publicity"):
        run(capsys, "applications", "advance", ref, "--to", node, "--by", "kj-clerk")
    run(capsys, "applications", "advance", ref, "--to", "approved", "--by", "kj-clerk",
        "--amount", "200")
    code, _, err = run(capsys, "applications", "advance", ref, "--to", "approved", "--by",
                       "kj-clerk", "--amount", "20")
    assert code == 2 and "--correct" not in err  # without --correct the same node is refused
    code, out, _ = run(capsys, "applications", "advance", ref, "--to", "approved", "--by",
                       "kj-clerk", "--amount", "20", "--note", "金额录入有误，更正", "--correct",
                       "--json")
    data = json.loads(out)
    assert code == 0 and data["amount_approved"] == 20
    assert [n["amount"] for n in data["nodes"][-2:]] == [200, 20]
    assert data["nodes"][-1]["correction"] is True


def test_returned_then_resubmitted(env, capsys):
    _, s = env
    _, out, _ = run(capsys, "applications", "add", "--firm", s.uscc, "--policy", s.policy_id,
                    "--json")
    ref = json.loads(out)["ref"]
    code, out, _ = run(capsys, "applications", "advance", ref, "--to", "returned", "--by",
                       "赵经办", "--note", "请补充审计报告", "--supply-by", "2099-01-05", "--json")
    data = json.loads(out)
    assert code == 0 and data["nodes"][-1]["supply_by"] == "2099-01-05"
    assert data["nodes"][-1]["know"]["deadline"] == "2099-01-05"
    code, out, _ = run(capsys, "applications", "advance", ref, "--to", "submitted", "--by",
                       "kj-clerk", "--json")
    assert code == 0 and json.loads(out)["node"] == "submitted"
