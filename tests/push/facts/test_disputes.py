"""A firm's dispute resolved by its source department from the CLI: accepted with the corrected
value (the re-run 免申即享 list shows the firm removed) or rejected with a reason; bad input refused."""

import json
import re

import pytest
from sqlmodel import Session, select

from kb.cli.main import main
from kb.config import get_settings
from kb.database.db import make_engine, session_scope
from kb.staff.models import AuditEntry
from push.facts.models import DisputeStatus, FactDispute, FirmFact
from push.facts.service import dispute, firm_facts
from push.firms.models import Firm
from push.matching.synthetic import make_uscc
from tests.web.staff import make_user


def run(capsys, *argv) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out + err


def _dispute(engine, firm_no: int, fact: str, reason: str) -> tuple[int, int]:
    """The firm objects to one of its figures, as its signed page does; (firm id, dispute id)."""
    with session_scope(engine) as s:
        firm = s.exec(select(Firm).where(Firm.uscc == make_uscc(firm_no))).one()
        fact_id = s.exec(select(FirmFact.id).where(FirmFact.firm_id == firm.id,
                                                    FirmFact.name == fact)).one()
        return firm.id, dispute(session=s, firm_id=firm.id, fact_id=fact_id, reason=reason).id


def test_accepting_a_dispute_corrects_the_figure_and_the_rerun_list_shows_the_firm_removed(
        cli_env, capsys):
    assert run(capsys, "demo", "--no-serve")[0] == 0
    engine = make_engine(get_settings().db_url)
    firm_id, dispute_id = _dispute(engine, 903, "hitech_first", "我公司今年是重新认定，不是首次认定")
    code, out = run(capsys, "facts", "disputes", "--department", "县科技局", "--json")
    [row] = json.loads(out)
    assert code == 0 and row["id"] == dispute_id and row["fact"] == "当年首次认定高新技术企业"
    assert row["value"] == "是" and row["firm"] == "金湖云帆软件有限公司"
    assert json.loads(run(capsys, "facts", "disputes", "--department", "县人社局", "--json")[1]) == []

    code, out = run(capsys, "direct", "list", "--policy", _sci(engine), "--period", "2026", "--json")
    first = json.loads(out)
    assert any(e["name"] == "金湖云帆软件有限公司" for e in first["entries"])

    code, out = run(capsys, "facts", "resolve", dispute_id, "--accept", "否", "--by", "kj-handler")
    assert code == 0 and "已采纳：当年首次认定高新技术企业更正为否（原为是）" in out
    with Session(engine) as s:
        row = s.get(FactDispute, dispute_id)
        assert row.status == DisputeStatus.RESOLVED
        [fact] = [f for f in firm_facts(session=s, firm_id=firm_id) if f["name"] == "hitech_first"]
        assert fact["text"] == "否" and not fact["disputed"] and fact["outcome"].startswith("已采纳")
        [entry] = s.exec(select(AuditEntry).where(AuditEntry.action == "fact.dispute.resolve")).all()
        assert entry.actor == "kj-handler" and entry.record_id == dispute_id
        assert entry.detail["accepted"] is True and entry.detail["new"] is False

    code, out = run(capsys, "direct", "list", "--policy", _sci(engine), "--period", "2026")
    assert f"与上一份名单{first['id']}相比：新增0家，移出1家，金额变化0家，未变2家" in out
    assert f"- {make_uscc(903)} 金湖云帆软件有限公司：原15万元" in out
    again = int(re.search(r"名单(\d+)（", out).group(1))
    prev = json.loads(run(capsys, "direct", "show", again, "--json")[1])["diff"]["previous"]
    assert prev["list_id"] == first["id"]
    assert [(r["name"], r["amount"]) for r in prev["removed"]] == [("金湖云帆软件有限公司", 15.0)]
    assert prev["added"] == [] and prev["changed"] == [] and prev["unchanged"] == 2

    # Settled once: a second resolution is refused, and so is everything malformed.
    code, out = run(capsys, "facts", "resolve", dispute_id, "--reject", "x", "--by", "kj-handler")
    assert code == 2 and "已处理" in out
    engine.dispose()


def test_rejecting_needs_a_reason_and_the_right_department_and_bad_values_are_refused(
        cli_env, capsys):
    assert run(capsys, "demo", "--no-serve")[0] == 0
    engine = make_engine(get_settings().db_url)
    make_user(engine, "rs-handler", roles=["handler"], department="县人社局")
    make_user(engine, "kj-agent", roles=["agent"], department="县科技局")
    firm_id, dispute_id = _dispute(engine, 903, "hitech_first", "应为重新认定")
    for argv, message in (
            (("--reject", " ", "--by", "kj-handler"), "请填写理由"),
            (("--accept", "也许", "--by", "kj-handler"), "应为“是”或“否”"),
            (("--reject", "有据", "--by", "rs-handler"), "只能处理本部门"),
            (("--reject", "有据", "--by", "kj-agent"), "需要经办人"),
            (("--reject", "有据", "--by", "nobody"), "没有用户名为 nobody"),
    ):
        code, out = run(capsys, "facts", "resolve", dispute_id, *argv)
        assert code == 2 and message in out, (argv, out)
    code, out = run(capsys, "facts", "resolve", 999999, "--reject", "x", "--by", "kj-handler")
    assert code == 2 and "没有编号为999999的异议" in out
    code, out = run(capsys, "facts", "disputes", "--department", "县不存在局")
    assert code == 2 and "没有名为“县不存在局”的部门" in out
    with pytest.raises(SystemExit) as exited:  # argparse: --accept or --reject is required
        main(["facts", "resolve", str(dispute_id), "--by", "kj-handler"])
    assert exited.value.code == 2 and "以下参数须填其中一个：--accept、--reject" in capsys.readouterr().err

    code, out = run(capsys, "facts", "resolve", dispute_id, "--reject", "认定名单为首次认定",
                    "--by", "kj-handler", "--json")
    assert code == 0 and json.loads(out)["resolution"].startswith("未采纳：认定名单为首次认定")
    with Session(engine) as s:
        [fact] = [f for f in firm_facts(session=s, firm_id=firm_id) if f["name"] == "hitech_first"]
        assert fact["text"] == "是" and "未采纳" in fact["outcome"]
    code, out = run(capsys, "facts", "disputes", "--all")
    assert "未采纳：认定名单为首次认定" in out
    assert "没有待处理的异议" in run(capsys, "facts", "disputes")[1]
    engine.dispose()


def _sci(engine) -> int:
    from kb.models import Policy

    with Session(engine) as s:
        return s.exec(select(Policy.id).where(Policy.source_key == "id:jh-2024-sci-01")).one()
