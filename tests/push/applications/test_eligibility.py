"""Applications only where a firm can apply: 有效, for firms, inside the window; late ones with a
stated reason. The four refusals are the demo policies found accepting applications."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, func, select

from kb.cli.main import main
from kb.config import get_settings
from kb.database.db import make_engine
from kb.errors import Conflict
from kb.models import Audience, Policy
from kb.staff.models import AuditEntry
from push.applications.models import Application
from push.applications.service import SYSTEM_HANDLER, create, open_policies
from push.firms.models import Firm
from push.matching.matcher import policies_for_firm

# County day 2026-12-07: the demo's 2026 windows (科技型企业培育 open 11-01..12-31).
NOW = datetime(2026, 12, 7, 2, tzinfo=UTC)


@pytest.fixture
def demo(cli_env, capsys):
    """The demo loaded through the CLI (firms, policies, guides), and its engine."""
    assert main(["demo", "--no-serve"]) == 0
    capsys.readouterr()
    engine = make_engine(get_settings().db_url)
    yield engine
    engine.dispose()


def _policy(session: Session, doc_number: str) -> Policy:
    return session.exec(select(Policy).where(Policy.doc_number == doc_number)).one()


def _count(engine: Engine, model: type[SQLModel]) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


@pytest.mark.parametrize(("doc_number", "said"), [
    ("淮人社发〔2022〕15号", "已失效"),  # 失效
    ("金政办〔2020〕35号", "已废止"),  # 废止
    ("金政办发〔2024〕21号", "部门工作部署"),  # the internal work notice (a .txt in the demo)
    ("金农发〔2024〕6号", "已于2026-11-30截止"),  # window closed
])
def test_cli_refuses_policies_nobody_can_apply_to(demo, capsys, doc_number, said):
    with Session(demo) as session:
        policy_id = _policy(session, doc_number).id
        uscc = session.exec(select(Firm.uscc)).first()
    before = (_count(demo, Application), _count(demo, AuditEntry))
    code = main(["applications", "add", "--firm", uscc, "--policy", str(policy_id)])
    err = capsys.readouterr().err
    assert code != 0 and said in err
    assert (_count(demo, Application), _count(demo, AuditEntry)) == before  # nothing kept


def test_late_registration_needs_a_reason_and_is_audited(demo):
    with Session(demo) as session:
        policy = _policy(session, "金农发〔2024〕6号")
        uscc = session.exec(select(Firm.uscc)).first()
        with pytest.raises(Conflict, match="补录理由"):
            create(session=session, handler=SYSTEM_HANDLER, uscc=uscc, policy_id=policy.id,
                   at=NOW)
        app = create(session=session, handler=SYSTEM_HANDLER, uscc=uscc, policy_id=policy.id,
                     at=NOW, late_reason="企业11月28日已在镇分窗报送纸质材料")
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "application.create")
                             .order_by(AuditEntry.id.desc())).first()
        assert entry.detail["late_reason"].startswith("企业11月28日") and app.ref
        # A reason does not open what no reason can: a 废止 policy stays closed.
        with pytest.raises(Conflict, match="已废止"):
            create(session=session, handler=SYSTEM_HANDLER, uscc=uscc,
                   policy_id=_policy(session, "金政办〔2020〕35号").id, at=NOW,
                   late_reason="补录")


def test_open_policy_accepts_and_dropdown_lists_only_what_staff_can_register(demo):
    with Session(demo) as session:
        open_one = _policy(session, "金科发〔2024〕8号")  # window 2026-11-01..12-31
        uscc = session.exec(select(Firm.uscc).order_by(Firm.id.desc())).first()
        app = create(session=session, handler=SYSTEM_HANDLER, uscc=uscc, policy_id=open_one.id,
                     at=NOW)
        assert app.ref
        listed = {p.doc_number: why for p, why in
                  open_policies(session=session, department_id=None, day=date(2026, 12, 7))}
    assert "金科发〔2024〕8号" in listed and listed["金科发〔2024〕8号"] == ""
    assert "截止" in listed["金农发〔2024〕6号"]  # closed: listed, with the reason it needs
    for refused in ("淮人社发〔2022〕15号", "金政办〔2020〕35号", "金政办发〔2024〕21号",
                    "金审批发〔2024〕4号", "金税发〔2023〕9号"):  # …, 工作部署, 免申即享
        assert refused not in listed


def test_work_notices_are_never_matched(demo):
    with Session(demo) as session:
        notices = {p.doc_number for p in session.exec(
            select(Policy).where(Policy.audience == Audience.INTERNAL))}
        assert notices == {"金政办发〔2024〕21号", "金审批发〔2024〕4号"}
        for firm in session.exec(select(Firm)):
            found = policies_for_firm(session=session, profile=firm, today=date(2026, 12, 7))
            matched = {found.policies[m.policy_id].doc_number
                       for m in [*found.matches, *found.near_misses]}
            assert not matched & notices
