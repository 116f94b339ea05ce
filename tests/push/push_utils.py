"""Builders for delivery tests: firms in bulk, publication through the outbox, settings, workers."""

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from kb.config import Settings
from kb.database.db import session_scope
from kb.events import EventKind, PolicyEvent
from kb.models import Policy, Status
from push.delivery.channels import build_channels
from push.delivery.models import Push, Subscription
from push.delivery.outbox import on_policy_event
from push.delivery.worker import Worker
from push.firms.models import Firm
from push.matching.synthetic import make_uscc

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai


def make_settings(tmp_path: Path, **fields) -> Settings:
    """Settings for a test folder (fast retries unless given)."""
    fields.setdefault("push_backoff_s", 30.0)
    fields.setdefault("public_url", "http://policykb.test")
    fields.setdefault("webhook_allow_loopback", True)  # the receivers listen on loopback
    return Settings(home=tmp_path / "var", index_dir=tmp_path / "indexes",
                    embedding_model="none", secret_key="test-secret", **fields)


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


def revise(engine: Engine, policy_id: int, *, changes: list[str], now: datetime = NOW,
           kind: EventKind = EventKind.REVISED, successor_id: int | None = None,
           **fields) -> None:
    """Bump a policy's version (or supersede it) and emit the event."""
    with session_scope(engine) as session:
        policy = session.get(Policy, policy_id)
        if kind == EventKind.REVISED:
            policy.version += 1
        for k, v in fields.items():
            setattr(policy, k, v)
        if successor_id:
            policy.superseded_by_id = successor_id
        session.add(policy)
        session.flush()
        on_policy_event(session=session, now=now, event=PolicyEvent(
            kind, policy.id, policy.version, changes=changes, successor_id=successor_id))


def pushes(engine: Engine, **where) -> list[Push]:
    """Push rows matching equality filters, by id."""
    with Session(engine) as session:
        query = select(Push)
        for k, v in where.items():
            query = query.where(getattr(Push, k) == v)
        return list(session.exec(query.order_by(Push.id)))


def make_worker(engine: Engine, settings: Settings, **kw) -> Worker:
    """A worker with every channel configured from ``settings``."""
    return Worker(engine=engine, settings=settings,
                  channels=build_channels(settings=settings, engine=engine),
                  worker_id=kw.pop("worker_id", "test"), **kw)


def secret_lookup(engine: Engine):  # noqa: ANN201
    """For a webhook receiver: a firm's signing secret, read from the database."""
    def lookup(firm_id: int) -> str:
        with Session(engine) as session:
            return session.exec(select(Subscription.webhook_secret).where(
                Subscription.firm_id == firm_id)).one()
    return lookup
