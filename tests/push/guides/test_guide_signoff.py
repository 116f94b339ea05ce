"""A guide goes through the one sign-off workflow; a late guide shows as overdue to its department."""

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from kb.authoring import workflow
from kb.authoring.workflow import Staff
from kb.database.db import session_scope
from kb.errors import InvalidInput, PermissionDenied
from kb.models import Department, Policy, PolicyVersion, Status
from kb.staff.accounts import create_user
from kb.staff.audit import SYSTEM
from kb.staff.models import User
from push.calendar.days import set_day
from push.guides.authoring import KIND
from push.guides.models import Guide
from push.guides.overdue import overdue_guides
from push.guides.service import calc_firm
from tests.push.conftest import add_firm

GUIDE = {"mode": "fast", "promised_days": 20, "beneficiaries": "首次认定的高新技术企业",
         "materials": ["高新技术企业证书", "上年度审计报告"], "where": "一企来平台", "phone": "0517-86880001",
         "rules": {"conditions": [{"qualification": "高新技术企业"}], "measures": [{
             "key": "first", "name": "首次认定奖励", "benefit": {"kind": "fixed", "amount": 30}}]}}


def seed(engine) -> int:
    """县科技局 with a drafter, a reviewer and a publisher; one published policy of theirs."""
    with session_scope(engine) as s:
        for username, name, role in (("kj-w", "孙拟稿", "drafter"), ("kj-r", "李审核", "reviewer"),
                                     ("kj-p", "周发布", "publisher")):
            create_user(session=s, actor=SYSTEM, username=username, name=name, password="pw-123456789",
                        department="县科技局", roles=[role])
        dept = s.exec(select(Department).where(Department.name == "县科技局")).one()
        policy = Policy(title="金湖县高新技术企业奖励办法", source_key="t/kj", status=Status.PUBLISHED,
                        department_id=dept.id, beneficiaries="高新技术企业")
        s.add(policy)
        s.flush()
        s.add(PolicyVersion(policy_id=policy.id, version=1, published_at=datetime(2026, 9, 1, 2, tzinfo=UTC)))
        return policy.id


def staff(s: Session, username: str) -> Staff:
    return Staff(s.exec(select(User).where(User.username == username)).one())


def test_a_guide_is_drafted_reviewed_and_published_by_three_people(engine):
    policy_id = seed(engine)
    with session_scope(engine) as s:
        with pytest.raises(InvalidInput, match=r"rules\.measures\.0\.benefit\.fact: 未知的事实“equipment”"):
            workflow.start(session=s, staff=staff(s, "kj-w"), kind=KIND, policy_id=policy_id,
                           data={**GUIDE, "rules": {"measures": [{"key": "a", "name": "x", "benefit": {
                               "kind": "rate", "fact": "equipment", "rate": 6}}]}})
        rev = workflow.start(session=s, staff=staff(s, "kj-w"), kind=KIND, data=GUIDE,
                             policy_id=policy_id)
        workflow.submit(session=s, staff=staff(s, "kj-w"), revision_id=rev.id)
        with pytest.raises(PermissionDenied):
            workflow.approve(session=s, staff=staff(s, "kj-w"), revision_id=rev.id)
        workflow.approve(session=s, staff=staff(s, "kj-r"), revision_id=rev.id)
        assert s.exec(select(Guide)).first() is None  # nothing live before publication
        workflow.publish(session=s, staff=staff(s, "kj-p"), revision_id=rev.id)
    with Session(engine) as s:
        guide = s.exec(select(Guide)).one()
        assert (guide.drafter, guide.reviewer, guide.publisher) == ("孙拟稿", "李审核", "周发布")
        assert guide.mode == "fast" and guide.materials == ["高新技术企业证书", "上年度审计报告"]
    with Session(engine, expire_on_commit=False) as s:
        firm = add_firm(s, 1, qualifications=["高新技术企业"])
        [estimate] = calc_firm(session=s, firm=firm, year=2026)
    assert float(estimate.amount) == 30 and estimate.formula == "定额 30万元"


def test_a_fast_guide_needs_its_promised_days(engine):
    policy_id = seed(engine)
    with session_scope(engine) as s, pytest.raises(InvalidInput, match="promised_days"):
        workflow.start(session=s, staff=staff(s, "kj-w"), kind=KIND, policy_id=policy_id,
                       data={**GUIDE, "promised_days": None})


def test_overdue_after_seven_working_days_with_the_holiday_calendar(engine):
    policy_id = seed(engine)  # published Tue 2026-09-01: 7 working days → due Thu 09-10
    with Session(engine) as s:
        dept = s.exec(select(Department.id)).first()
        assert overdue_guides(session=s, today=date(2026, 9, 10), days=7) == []
        [late] = overdue_guides(session=s, today=date(2026, 9, 11), days=7, department_id=dept)
        assert (late.policy_id, late.due, late.days_late, late.department) == (
            policy_id, date(2026, 9, 10), 1, "县科技局")
        assert overdue_guides(session=s, today=date(2026, 9, 11), days=7, department_id=dept + 99) == []
    with session_scope(engine) as s:
        set_day(session=s, day=date(2026, 9, 3), workday=False, name="纪念日")
    with Session(engine) as s:  # one holiday moves the due day to Fri 09-11
        assert overdue_guides(session=s, today=date(2026, 9, 11), days=7) == []
    with session_scope(engine) as s:
        s.add(Guide(policy_id=policy_id, rules=GUIDE["rules"]))
    with Session(engine) as s:
        assert overdue_guides(session=s, today=date(2026, 12, 1), days=7) == []
