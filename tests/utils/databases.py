"""Per-test databases: a SQLite file by default, a fresh PostgreSQL database with KB_TEST_DATABASE_URL."""

import os
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

SERVER_URL = os.environ.get("KB_TEST_DATABASE_URL", "")


def on_postgres() -> bool:
    """Whether this run points every database test at a PostgreSQL server."""
    return SERVER_URL.startswith("postgresql")


def _admin():  # noqa: ANN202
    return create_engine(SERVER_URL, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)


def create_database() -> str:
    """A new empty database on the server; returns its URL."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = _admin()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
    finally:
        admin.dispose()
    return make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop a database made by ``create_database``, ending any connection a test left open."""
    name = make_url(url).database
    admin = _admin()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def test_url(folder) -> str:  # noqa: ANN001
    """This test's database: the server one made for it, else a SQLite file in ``folder``."""
    return os.environ.get("KB_DATABASE_URL") if on_postgres() else f"sqlite:///{folder / 'test.db'}"
