"""Firms and publications for push benchmarks and tests: firms in bulk, a policy published
through the outbox as ingestion does."""

from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from kb.database.db import session_scope
from kb.events import EventKind, PolicyEvent
from kb.models import Policy, Status
from push.delivery.outbox import on_policy_event
from push.firms.models import Firm
from push.matching.synthetic import make_uscc

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai


def add_firms(engine: Engine, n: int, start: int = 0, **fields) -> list[int]:
    """Store ``n`` firms in one transaction; callables in ``fields`` get the firm number."""
    firms = []
    for i in range(start, start + n):
        values = {k: (v(i) if callable(v) else v) for k, v in fields.items()}
        values = {"channels": ["inbox"], "industry_code": "3911", "employees": 50,
                  "revenue": 1000, **values}
        firms.append(Firm(uscc=make_uscc(i), name=f"企业{i}", **values))
    with session_scope(engine) as session:
        session.add_all(firms)
        session.flush()
        return [f.id for f in firms]


def publish(engine: Engine, *, now: datetime = NOW, **fields) -> int:
    """Publish a policy and run the outbox in the same transaction, as ingestion does."""
    fields.setdefault("title", "金湖县支持企业技术改造的若干措施")
    fields.setdefault("source_key", f"test/{fields['title']}")
    fields.setdefault("status", Status.PUBLISHED)
    fields.setdefault("doc_number", "金政发〔2026〕1号")
    fields.setdefault("themes", ["技术改造"])
    with session_scope(engine) as session:
        policy = Policy(**fields)
        session.add(policy)
        session.flush()
        on_policy_event(session=session, event=PolicyEvent(EventKind.PUBLISHED, policy.id, 1),
                        now=now)
        return policy.id
