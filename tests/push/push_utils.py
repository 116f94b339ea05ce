"""Builders for delivery tests: firms in bulk, publication through the outbox, settings, workers."""

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bench.pushdata import NOW, add_firms, publish  # noqa: F401 (shared with bench/)
from kb.config import Settings
from kb.database.db import session_scope
from kb.events import EventKind, PolicyEvent
from kb.models import Policy
from push.delivery.channels import build_channels
from push.delivery.models import Push, Subscription
from push.delivery.outbox import on_policy_event
from push.delivery.worker import Worker


def make_settings(tmp_path: Path, **fields) -> Settings:
    """Settings for a test folder (fast retries unless given)."""
    fields.setdefault("push_backoff_s", 30.0)
    fields.setdefault("public_url", "http://policykb.test")
    fields.setdefault("webhook_allow_loopback", True)  # the receivers listen on loopback
    return Settings(home=tmp_path / "var", index_dir=tmp_path / "indexes",
                    embedding_model="none", secret_key="test-secret", **fields)


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


def secret_lookup(engine: Engine) -> Callable[[int], str]:
    """For a webhook receiver: a firm's signing secret, read from the database."""
    def lookup(firm_id: int) -> str:
        with Session(engine) as session:
            return session.exec(select(Subscription.webhook_secret).where(
                Subscription.firm_id == firm_id)).one()
    return lookup
