"""Fixtures for push tests: a fresh SQLite file database per test, and record builders."""

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from kb.database.db import create_schema, make_engine
from kb.models import Policy, Status
from push.firms.models import Firm, FirmCreate
from push.matching.synthetic import make_uscc
from tests.utils import databases

TODAY = date(2025, 6, 1)


@pytest.fixture(autouse=True)
def loopback_webhooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test receivers listen on loopback: allow it (also for workers started as processes)."""
    from kb.config import get_settings

    monkeypatch.setenv("KB_WEBHOOK_ALLOW_LOOPBACK", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def engine(tmp_path) -> Iterator[Engine]:
    """A new database file with every table."""
    engine = make_engine(databases.test_url(tmp_path))
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    """A session on the test database (tests commit when they need to)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


_counter = iter(range(1, 10**6))


def make_policy(**fields) -> Policy:
    """A published, valid policy with no facets unless given."""
    n = next(_counter)
    fields.setdefault("title", f"测试政策{n}")
    fields.setdefault("source_key", f"test/{n}")
    fields.setdefault("status", Status.PUBLISHED)
    return Policy(**fields)


def make_firm(i: int = 0, **fields) -> FirmCreate:
    """A valid firm record; ``i`` picks its credit code."""
    fields.setdefault("uscc", make_uscc(i))
    fields.setdefault("name", f"企业{i}")
    fields.setdefault("industry_code", "3911")
    fields.setdefault("employees", 50)
    fields.setdefault("revenue", 1000)
    return FirmCreate(**fields)


def add_firm(session: Session, i: int = 0, **fields) -> Firm:
    """Store a firm and return the row."""
    firm = Firm.model_validate(make_firm(i, **fields))
    session.add(firm)
    session.commit()
    return firm


def add_policy(session: Session, **fields) -> Policy:
    """Store a policy and return the row."""
    policy = make_policy(**fields)
    session.add(policy)
    session.commit()
    return policy
