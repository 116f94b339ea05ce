"""``policykb demo`` for push: the demo firms, their facts, guides, pushes, applications and a
免申即享 list waiting for review."""


from sqlmodel import Session, select

from kb import clock
from kb.cli.context import Context
from kb.clock import county_today
from kb.database.db import key, session_scope
from kb.events import EventKind, PolicyEvent
from kb.models import Department, Policy, Status
from push.delivery.outbox import on_policy_event
from push.demo.applications import load_demo as load_applications
from push.demo.firms import demo_firms
from push.direct.service import generate
from push.facts.catalog import define
from push.facts.models import FactType, FirmFact
from push.guides.demo_guides import COUNTY_FACTS, FACTS, GUIDES
from push.guides.models import Guide
from push.guides.service import save_guide

DEMO_NAMES = {"drafter": "演示数据", "reviewer": "演示数据", "publisher": "演示数据"}


def load_demo(ctx: Context) -> None:
    """Add the push demo once (a second run finds the guides and adds nothing)."""
    with session_scope(ctx.engine) as session:
        if session.exec(select(Guide.id)).first() is not None:
            return
        firms = demo_firms(session)
        for name, label, kind in COUNTY_FACTS:
            define(session=session, name=name, label=label, type=FactType(kind))
        departments = dict(session.exec(select(Department.name, Department.id)).all())
        for index, rows in FACTS.items():
            for fact, year, value, source in rows:
                session.add(FirmFact(firm_id=key(firms[index]), name=fact, year=year,
                                     value={"v": value}, source=source,
                                     department_id=departments.get(source), file="demo"))
        session.flush()
        policies = {p.source_key: p for p in session.exec(select(Policy))}
        for source_key, data in GUIDES.items():
            if source_key in policies:
                save_guide(session=session, policy_id=key(policies[source_key]), data=data,
                           names=DEMO_NAMES)
        now = clock.now()
        for policy in sorted(policies.values(), key=key):
            if policy.status == Status.PUBLISHED:  # the firms came after the policies: match now
                on_policy_event(session=session, now=now,
                                event=PolicyEvent(EventKind.PUBLISHED, key(policy), policy.version))
    load_applications(ctx)
    with session_scope(ctx.engine) as session:
        direct = policies_by_key(session).get("id:jh-2024-sci-01")
        if direct is None:
            return
        lst = generate(session=session, policy_id=key(direct), period=str(county_today().year))
        print(f"\n免申即享名单{lst.id}（{direct.title}，{lst.period}）：{lst.firms}家，合计{lst.total:g}万元，"
              f"待审核：policykb direct review {lst.id} --by kj-reviewer；"
              f"policykb direct publish {lst.id} --by kj-publisher")


def policies_by_key(session: Session) -> dict[str, Policy]:
    """Policies by source key."""
    return {p.source_key: p for p in session.exec(select(Policy))}
