"""A guide published after its policy: the firms it fits and no push has told an amount (pushed
before the guide, or never pushed) get one follow-up push with their expected amount, once."""

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from kb.authoring import workflow
from kb.authoring.workflow import Staff
from kb.database.db import session_scope
from kb.events import EventKind, PolicyEvent
from kb.models import Department, Policy, Status
from kb.staff.accounts import create_user
from kb.staff.audit import SYSTEM
from kb.staff.models import User
from push.delivery.clock import local_today
from push.delivery.models import InboxMessage, PushKind
from push.delivery.outbox import catch_up, on_policy_event
from push.delivery.subscriptions import mark_policy
from push.facts.models import FirmFact
from push.guides.authoring import KIND
from push.guides.demo_guides import GUIDES
from tests.push.push_utils import NOW, add_firms, make_settings, make_worker, publish, pushes

TECH = GUIDES["id:jh-2024-tech-01"]  # 规上 8% of last year's equipment investment, 规下 6%
LAST_YEAR = local_today().year - 1  # the year the guide's rules read when it is published


def _staff(s: Session, username: str) -> Staff:
    return Staff(s.exec(select(User).where(User.username == username)).one())


def _people(engine) -> int:
    with session_scope(engine) as s:
        for username, role in (("gx-w", "drafter"), ("gx-r", "reviewer"), ("gx-p", "publisher")):
            create_user(session=s, actor=SYSTEM, username=username, name=username,
                        password="pw-123456789", department="县工业和信息化局", roles=[role])
        return s.exec(select(Department.id)).one()


def _equipment(engine, firm_id: int, amount: float) -> None:
    with session_scope(engine) as s:
        s.add(FirmFact(firm_id=firm_id, name="equipment_investment", year=LAST_YEAR,
                       value={"v": amount}, source="县工业和信息化局"))


def _publish_guide(engine, policy_id: int) -> None:
    """The guide through the sign-off workflow: drafted, reviewed and published by three people."""
    with session_scope(engine) as s:
        rev = workflow.start(session=s, staff=_staff(s, "gx-w"), kind=KIND,
                             data=TECH, policy_id=policy_id)
        workflow.submit(session=s, staff=_staff(s, "gx-w"), revision_id=rev.id)
        workflow.approve(session=s, staff=_staff(s, "gx-r"), revision_id=rev.id)
        workflow.publish(session=s, staff=_staff(s, "gx-p"), revision_id=rev.id)


def test_firms_the_late_guide_fits_get_their_amount_once(engine, tmp_path):
    dept = _people(engine)
    told, bare, marked = add_firms(engine, 3, start=1, qualifications=["规模以上工业企业"])
    _equipment(engine, told, 800)
    _equipment(engine, marked, 800)
    policy_id = publish(engine, department_id=dept)  # no guide yet: pushed without an amount
    assert {p.firm_id for p in pushes(engine, kind=PushKind.NEW)} == {told, bare, marked}
    assert not any("预计可享" in r for p in pushes(engine, kind=PushKind.NEW) for r in p.reasons)
    with session_scope(engine) as s:
        mark_policy(session=s, firm_id=marked, policy_id=policy_id, mark="not_applicable")
    [late] = add_firms(engine, 1, start=4, qualifications=["规模以上工业企业"])  # never pushed
    _equipment(engine, late, 400)

    _publish_guide(engine, policy_id)
    follow = {p.firm_id: p for p in pushes(engine, kind=PushKind.GUIDE)}
    assert set(follow) == {told, late}  # no equipment: nothing to say; 不适用: nothing more
    assert follow[told].reasons[0] == "申兑指南已发布，现可测算您可享受的金额"
    assert any("预计可享 64万元" in r and "新增设备投资 800万元 × 8% = 64万元" in r
               for r in follow[told].reasons)
    assert any("预计可享 32万元" in r for r in follow[late].reasons)

    # The follow-ups are due when the guide was published (now), the policy pushes since NOW.
    report = make_worker(engine, make_settings(tmp_path)).run_once(
        now=datetime.now(UTC) + timedelta(minutes=1))
    assert report.delivered == 5  # three policy pushes, two follow-ups
    with Session(engine) as s:
        inbox = s.exec(select(InboxMessage).where(InboxMessage.firm_id == told)).all()
    [amount] = [m for m in inbox if m.subject.startswith("【可享金额】")]
    assert "预计可享 64万元" in amount.body

    # Republished, or caught up again: the outbox key lets nobody hear it twice.
    _publish_guide(engine, policy_id)
    with session_scope(engine) as s:
        assert catch_up(session=s, policy_id=policy_id) == 0
    assert len(pushes(engine, kind=PushKind.GUIDE)) == 2


def test_a_firm_already_told_its_amount_and_an_unpublished_policy_get_nothing(engine):
    dept = _people(engine)
    [firm] = add_firms(engine, 1, start=1, qualifications=["规模以上工业企业"])
    _equipment(engine, firm, 800)
    policy_id = publish(engine, department_id=dept)
    _publish_guide(engine, policy_id)
    assert len(pushes(engine, kind=PushKind.GUIDE)) == 1
    with session_scope(engine) as s:  # the policy is revised: its new push tells the amount
        policy = s.get(Policy, policy_id)
        policy.version += 1
        s.add(policy)
        s.flush()
        on_policy_event(session=s, now=NOW, event=PolicyEvent(EventKind.REVISED, policy_id, 2))
    assert catch_up_count(engine, policy_id) == 0  # version 2's push already said 64万元

    with session_scope(engine) as s:
        draft = Policy(title="草稿政策", source_key="t/draft", status=Status.DRAFT, department_id=dept)
        s.add(draft)
        s.flush()
        assert catch_up(session=s, policy_id=draft.id) == 0


def catch_up_count(engine, policy_id: int) -> int:
    with session_scope(engine) as s:
        return catch_up(session=s, policy_id=policy_id)
