"""Per-test databases: a SQLite file by default, a fresh PostgreSQL database with KB_TEST_DATABASE_URL."""

import io
import os
import shutil
import tempfile
import uuid
from functools import cache
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from kb.config import Settings

SERVER_URL = os.environ.get("KB_TEST_DATABASE_URL", "")


def on_postgres() -> bool:
    """Whether this run points every database test at a PostgreSQL server."""
    return SERVER_URL.startswith("postgresql")


def _admin() -> Engine:
    return create_engine(SERVER_URL, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)


def create_database(*, migrated: bool = True, demo: bool = False) -> str:
    """A new database on the server, at the head revision (copied from one migrated template per
    test process; with ``demo``, one holding the demo knowledge base too) or, with
    ``migrated=False``, empty; returns its URL."""
    template = (_postgres_demo_template() if demo else _postgres_template()) if migrated \
        else "template0"
    return _url(_copy(template, "t"))


def _copy(template: str, prefix: str) -> str:
    """A new database copied from ``template``; returns its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = _admin()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    finally:
        admin.dispose()
    return name


def _url(name: str) -> str:
    return make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)


@cache
def _postgres_template() -> str:
    """A database migrated once for this test process (CREATE DATABASE … TEMPLATE copies it)."""
    from kb.database.db import create_schema, make_engine

    name = _copy("template0", "tmpl")
    engine = make_engine(_url(name))
    create_schema(engine)
    engine.dispose()  # a template must have no connections when it is copied
    return name


@cache
def _postgres_demo_template() -> str:
    """The migrated template with the demo knowledge base loaded: loading it takes seconds on a
    server (thousands of round trips), copying it a fraction of one."""
    from kb.database.db import make_engine
    from tests.utils.builders import load_demo

    name = _copy(_postgres_template(), "tmpl_demo")
    engine = make_engine(_url(name))
    load_demo(engine)
    engine.dispose()
    return name


def drop_templates() -> None:
    """Drop this process's template databases (end of the session)."""
    for made in (_postgres_demo_template, _postgres_template):
        if made.cache_info().currsize:
            drop_database(_url(made()))
            made.cache_clear()


@cache
def _sqlite_template() -> Path:
    """A SQLite file migrated once for this test process."""
    from kb.database.db import create_schema, make_engine

    path = Path(tempfile.mkdtemp(prefix="policykb-template-")) / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    engine.dispose()  # the last connection checkpoints the WAL into the file
    return path


@cache
def _sqlite_demo_template() -> Path:
    """The SQLite template with the demo knowledge base loaded, once per test process."""
    from kb.database.db import make_engine
    from tests.utils.builders import load_demo

    path = _sqlite_template().parent / "demo.db"
    shutil.copyfile(_sqlite_template(), path)
    engine = make_engine(f"sqlite:///{path}")
    load_demo(engine)
    engine.dispose()
    return path


def seed_sqlite(path: Path, *, demo: bool = False) -> None:
    """Put a migrated database at ``path`` (a copy of the template: no migration run per test;
    with ``demo``, holding the demo knowledge base)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_sqlite_demo_template() if demo else _sqlite_template(), path)


def drop_sqlite_template() -> None:
    """Remove this process's SQLite templates (end of the session)."""
    if _sqlite_template.cache_info().currsize:
        shutil.rmtree(_sqlite_template().parent, ignore_errors=True)
        _sqlite_template.cache_clear()
        _sqlite_demo_template.cache_clear()


def drop_database(url: str) -> None:
    """Drop a database made by ``create_database``, ending any connection a test left open."""
    name = make_url(url).database
    admin = _admin()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def test_url(folder: Path) -> str:
    """This test's database: the server one made for it, else a SQLite file in ``folder``."""
    return os.environ.get("KB_DATABASE_URL") if on_postgres() else f"sqlite:///{folder / 'test.db'}"


def tables_as_text(settings: Settings) -> dict[str, str]:
    """Every table's rows as the backup writes them (key order), to compare two databases."""
    from kb.database import dump
    from kb.database.db import make_engine

    engine = make_engine(settings.db_url)
    try:
        out = {}
        with dump.snapshot(engine) as conn:
            for table in dump.tables(conn):
                buffer = io.StringIO()
                dump.write_table(conn, table, buffer)
                out[table.name] = buffer.getvalue()
        return out
    finally:
        engine.dispose()
