"""The matcher uses the guide's rules: no 技改 push without equipment investment in the rule's year."""

from datetime import date

from sqlmodel import Session

from kb.database.db import session_scope
from kb.events import EventKind, PolicyEvent
from kb.models import Policy, Status
from push.delivery.outbox import on_policy_event
from push.facts.models import FirmFact
from push.guides.service import save_guide
from push.matching.checkup import checkup
from push.matching.matcher import firms_for_policy, policies_for_firm
from tests.push.push_utils import NOW, add_firms, pushes

TECH = {"mode": "ordinary", "rules": {"measures": [{
    "key": "equipment", "name": "设备投资补助",
    "conditions": [{"fact": "equipment_investment", "op": ">=", "value": 500, "year": -1}],
    "benefit": {"kind": "rate", "fact": "equipment_investment", "year": -1, "rate": 6, "cap": 200}}]}}


def seed(engine) -> tuple[int, list[int]]:
    """Three manufacturing firms: 800万 in 2025, 300万 in 2025, 900万 only in 2024; a 技改 policy."""
    ids = add_firms(engine, 4)
    with session_scope(engine) as s:
        for firm_id, year, value in ((ids[0], 2025, 800), (ids[1], 2025, 300), (ids[2], 2024, 900)):
            s.add(FirmFact(firm_id=firm_id, name="equipment_investment", year=year,
                           value={"v": value}, source="县工信局"))
        policy = Policy(title="金湖县技术改造设备投资补助", source_key="t/tech", status=Status.PUBLISHED,
                        industries_include=["C"], themes=["技术改造"])
        s.add(policy)
        s.flush()
        save_guide(session=s, policy_id=policy.id, data=TECH)
        return policy.id, ids


def test_push_goes_only_where_the_rule_pays_and_says_how_much(engine):
    policy_id, ids = seed(engine)
    with session_scope(engine) as s:
        on_policy_event(session=s, event=PolicyEvent(EventKind.PUBLISHED, policy_id, 1), now=NOW)
    sent = pushes(engine, policy_id=policy_id)
    assert [p.firm_id for p in sent] == [ids[0]]  # not 300万, not the wrong year, not no figure
    assert any("设备投资补助" in r and "预计可享 48万元" in r and
               "新增设备投资 800万元 × 6% = 48万元" in r for r in sent[0].reasons)


def test_the_reason_names_the_rule_and_what_is_missed(engine):
    policy_id, ids = seed(engine)
    with Session(engine) as s:
        found = firms_for_policy(session=s, policy_id=policy_id, today=date(2026, 5, 1), limit=None)
        assert found.eligible_count == 1
        from push.firms.models import Firm
        low = policies_for_firm(session=s, profile=s.get(Firm, ids[1]), today=date(2026, 5, 1))
        wrong_year = policies_for_firm(session=s, profile=s.get(Firm, ids[2]), today=date(2026, 5, 1))
    assert not low.matches
    assert low.near_misses[0].summary == "仅差：新增设备投资 300万元，需 ≥ 500万元（差 200万元）"
    rule = [c for c in wrong_year.near_misses[0].criteria if c.key == "rules"][0]
    assert rule.label == "申兑条件" and not rule.met
    assert rule.detail == "缺少申兑指南所需数据：2025年新增设备投资（已有2024年数据）"


def test_an_anonymous_profile_keeps_the_policy_and_is_told_what_to_give(engine):
    policy_id, _ = seed(engine)
    from push.firms.models import FirmProfile
    with Session(engine) as s:
        report = checkup(session=s, profile=FirmProfile(industry_code="3911", employees=50,
                                                        revenue=1000), today=date(2026, 5, 1))
    item = [i for i in report.applicable if i.policy_id == policy_id][0]
    assert "申兑条件：能否享受及金额需提供：2025年新增设备投资" in item.reasons
