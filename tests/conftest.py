"""Shared fixtures: every test gets its own data folder, SQLite file and index folder."""

import os
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from kb.config import Settings, get_settings
from kb.database.db import create_schema, make_engine
from tests.utils import databases

TODAY = date(2026, 11, 26)


def pytest_configure(config: pytest.Config) -> None:
    """KB_TEST_MONOTONIC_AT=S: the suite runs as on a machine whose monotonic clock reads S seconds."""
    at = os.environ.get("KB_TEST_MONOTONIC_AT")
    if at:  # a machine booted moments ago: code must never take a small reading for "long ago"
        real = time.monotonic
        offset = real() - float(at)
        time.monotonic = lambda: real() - offset


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop the migrated templates this process made."""
    databases.drop_sqlite_template()
    if databases.on_postgres():
        databases.drop_templates()


DATABASE_FIXTURES = {"settings", "engine", "demo_engine", "cli_env"}


@pytest.fixture(autouse=True)
def _no_push_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apps built by tests deliver no pushes behind the test's back: the tests that deliver run
    the worker themselves, and the in-process worker has its own tests (KB_PUSH_WORKER=1)."""
    monkeypatch.setenv("KB_PUSH_WORKER", "0")


@pytest.fixture(autouse=True)
def _database_server(request: pytest.FixtureRequest,
                     monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """With KB_TEST_DATABASE_URL, every test (and every process it starts) gets a fresh database;
    a test marked ``no_database`` gets none and is skipped there (its run would be the same)."""
    if request.node.get_closest_marker("no_database"):
        used = DATABASE_FIXTURES & set(request.fixturenames)
        if used:  # a database test added to a pure module must not go unrun on PostgreSQL
            pytest.fail(f"marked no_database but uses {', '.join(sorted(used))}")
        if databases.on_postgres():
            pytest.skip("opens no database: the SQLite run covers it")
    if not databases.on_postgres():
        yield None
        return
    url = databases.create_database(demo="demo_engine" in request.fixturenames)
    monkeypatch.setenv("KB_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    databases.drop_database(url)


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings pointing at a fresh folder, with dense retrieval off."""
    # The validity job's day is pinned, so demo policies do not lapse as the calendar moves on.
    s = Settings(home=tmp_path / "var", index_dir=tmp_path / "indexes", embedding_model="none",
                 validity_today=TODAY)
    s.ensure_dirs()
    if not databases.on_postgres():  # a copy of the migrated template, not a migration per test
        databases.seed_sqlite(s.home / "policykb.db", demo="demo_engine" in request.fixturenames)
    return s


@pytest.fixture
def engine(settings: Settings) -> Engine:
    """A real database (a SQLite file, or this test's PostgreSQL database) at the head revision."""
    eng = make_engine(settings.db_url)
    create_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def demo_engine(engine: Engine) -> Engine:
    """The database loaded with the bundled demo knowledge base: a copy of a database loaded once
    per test process (see ``settings`` and ``_database_server``), as loading takes seconds."""
    return engine


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the CLI's settings at a fresh folder; returns the data folder."""
    home = tmp_path / "clihome"
    monkeypatch.setenv("KB_HOME", str(home))
    monkeypatch.setenv("KB_INDEX_DIR", str(tmp_path / "cliindexes"))
    monkeypatch.setenv("KB_EMBEDDING_MODEL", "none")
    if not databases.on_postgres():  # on PostgreSQL the CLI uses this test's database
        monkeypatch.delenv("KB_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture
def restore_target(tmp_path: Path) -> Iterator[Settings]:
    """Settings for a second, empty installation (a fresh folder; its own PostgreSQL database)."""
    url = databases.create_database(migrated=False) if databases.on_postgres() else None
    yield Settings(home=tmp_path / "restored", index_dir=tmp_path / "restored" / "indexes",
                   embedding_model="none", database_url=url, validity_today=TODAY)
    if url:
        databases.drop_database(url)
