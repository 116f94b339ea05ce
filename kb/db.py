"""Database engine and the one commit point for units of work.

One transaction discipline for every dialect: a unit of work that may write (``session_scope``)
says so when its transaction starts, and a read (``read_scope``) never writes. On SQLite a writer
begins ``BEGIN IMMEDIATE``: it takes the write lock at its first statement, waiting up to the busy
timeout for another writer, instead of reading first and failing at once ("database is locked")
when it tries to write after another connection committed. Readers begin deferred and, in WAL
mode, never wait for writers. Other dialects need nothing at the start (row locks wait); the
``kb_write`` execution option is where they can hook in.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

WRITE_OPTION = "kb_write"
BUSY_TIMEOUT_S = 30


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL and foreign keys so it behaves like a server DB."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False,
                                                    "timeout": BUSY_TIMEOUT_S})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001
            # The stdlib driver defers BEGIN, so a SAVEPOINT would open (and its RELEASE commit)
            # the transaction; SQLAlchemy's documented recipe: autocommit driver, explicit BEGIN.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # noqa: ANN001
            # A writer's transaction is a write transaction from its first statement, so the
            # busy timeout applies; reads (and connections without the option) stay deferred.
            write = conn.get_execution_options().get(WRITE_OPTION)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def create_schema(engine: Engine) -> None:
    """Create every table that is not there yet."""
    from kb import plugins

    modules = plugins.load("tables")  # every module with tables in the one schema, push's too
    SQLModel.metadata.create_all(engine)
    _check_columns(engine)
    _passage_ids_never_reused(engine)
    for module in modules:  # e.g. the audit table's append-only triggers
        if hook := getattr(module, "after_create", None):
            hook(engine)


def _check_columns(engine: Engine) -> None:
    """Add columns a newer version made optional; refuse, with a message, any other older schema."""
    from sqlalchemy import inspect

    from kb.errors import KBError

    found = inspect(engine)
    for table in SQLModel.metadata.sorted_tables:
        have = {c["name"] for c in found.get_columns(table.name)}
        absent = [c for c in table.columns if c.name not in have]
        addable = [c for c in absent if c.nullable and not c.primary_key and not c.foreign_keys
                   and not c.unique]
        with engine.begin() as conn:
            for column in addable:
                kind = column.type.compile(dialect=engine.dialect)
                conn.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}')
        missing = [c.name for c in absent if c not in addable]
        if missing:
            raise KBError(
                f"the database at {engine.url.render_as_string(hide_password=True)} was made by an "
                f"older PolicyKB (table {table.name} lacks {', '.join(missing)}); there are no "
                "migrations yet: point KB_HOME (or KB_DATABASE_URL) at a new location and ingest again")


def _passage_ids_never_reused(engine: Engine) -> None:
    """Give a SQLite passage table made before AUTOINCREMENT the keyword (ids must not be reused)."""
    if engine.dialect.name != "sqlite":
        return
    table = SQLModel.metadata.tables["passage"]
    with engine.begin() as conn:
        ddl = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type='table' AND name='passage'").scalar() or ""
        if "AUTOINCREMENT" in ddl.upper():
            return
        for row in conn.exec_driver_sql("PRAGMA index_list('passage')").all():
            if not row[1].startswith("sqlite_autoindex"):
                conn.exec_driver_sql(f'DROP INDEX "{row[1]}"')
        conn.exec_driver_sql("ALTER TABLE passage RENAME TO passage_old")
        table.create(conn)
        cols = ", ".join(f'"{c.name}"' for c in table.columns)
        conn.exec_driver_sql(f"INSERT INTO passage ({cols}) SELECT {cols} FROM passage_old")
        conn.exec_driver_sql("DROP TABLE passage_old")


def writer(engine: Engine) -> Engine:
    """``engine`` for units of work that write: its transactions begin as write transactions."""
    if engine.get_execution_options().get(WRITE_OPTION):
        return engine
    found = engine.__dict__.get("_kb_writer")
    if found is None:  # one option engine per engine (it shares the pool and the listeners)
        found = engine.__dict__["_kb_writer"] = engine.execution_options(**{WRITE_OPTION: True})
    return found


class ReadOnlyError(RuntimeError):
    """A read-only session was asked to write: the code must use ``session_scope``."""


def _refuse_writes(session: Session, _context, _instances) -> None:  # noqa: ANN001
    raise ReadOnlyError("a read-only session (read_scope) was asked to write; "
                        "use session_scope for units of work that write")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work that may write: it begins as a write transaction, commits on success and
    rolls back on error; services only flush."""
    session = Session(writer(engine), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A session that only reads: it never takes the write lock, and refuses to flush changes."""
    session = Session(engine, expire_on_commit=False, autoflush=False)
    event.listen(session, "before_flush", _refuse_writes)
    try:
        yield session
    finally:
        session.close()  # ends the transaction; loaded objects stay readable (no expiry)


def insert_ignore(session: Session, model: type, rows: list[dict]) -> int:
    """Insert ``rows``, skipping any that hit a UNIQUE constraint; returns how many were new."""
    if not rows:
        return 0
    maker = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = model.__table__
    key = next(iter(table.primary_key.columns))
    added = 0
    for start in range(0, len(rows), 500):
        # Count the rows RETURNING hands back: an ignored insert's rowcount is -1 under psycopg.
        stmt = maker(table).on_conflict_do_nothing().returning(key)
        result = session.connection().execute(stmt, rows[start:start + 500])
        added += len(result.all())
    return added
