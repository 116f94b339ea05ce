"""``policykb guides check|draft|sign|overdue`` on the demo."""

import json

from kb.cli.main import main


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_check_names_the_bad_field_and_the_draft_is_signed_off_by_three(cli_env, capsys, tmp_path):
    assert run(capsys, "demo", "--no-serve")[0] == 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"rules": {"measures": [{"key": "a", "name": "x", "benefit": {
        "kind": "rate", "fact": "equipment_investment", "rate": 6, "floor": 50, "cap": 20}}]}}))
    code, out, err = run(capsys, "guides", "check", bad)
    assert code == 2 and "rules.measures.0.benefit.cap: 上限20万元低于保底50万元" in out + err
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"mode": "ordinary", "rules": {"conditions": [
        {"qualification": "科技型中小企业"}], "measures": [{"key": "sme", "name": "科技型中小企业入库奖励",
                                                    "benefit": {"kind": "fixed", "amount": 1}}]}}))
    assert run(capsys, "guides", "check", good)[0] == 0
    code, out, _ = run(capsys, "guides", "draft", good, "--policy", 10, "--by", "kj-drafter")
    assert code == 0
    rev = int(out.split("草稿")[1].split("）")[0])
    assert run(capsys, "guides", "sign", rev, "submit", "--by", "kj-drafter")[0] == 0
    assert run(capsys, "guides", "sign", rev, "approve", "--by", "kj-drafter")[0] == 2  # own draft
    assert run(capsys, "guides", "sign", rev, "approve", "--by", "kj-reviewer")[0] == 0
    assert run(capsys, "guides", "sign", rev, "publish", "--by", "kj-reviewer")[0] == 2  # approved it
    code, out, _ = run(capsys, "guides", "sign", rev, "publish", "--by", "kj-publisher")
    assert code == 0 and "已发布" in out
    code, out, _ = run(capsys, "guides", "overdue", "--json")
    assert code == 0 and json.loads(out) == []  # the demo policies were published today
    code, out, _ = run(capsys, "guides", "overdue", "--today", "2099-01-05", "--json")
    late = json.loads(out)
    assert late and all(o["policy_id"] != 10 for o in late)  # 10 has its guide
