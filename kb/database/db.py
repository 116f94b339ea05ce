"""Database engine and the one commit point for units of work.

One transaction discipline for every dialect: a unit of work that may write (``session_scope``)
says so when its transaction starts, and a read (``read_scope``) never writes. On SQLite a writer
begins ``BEGIN IMMEDIATE``: it takes the write lock at its first statement, waiting up to the busy
timeout for another writer, instead of reading first and failing at once ("database is locked")
when it tries to write after another connection committed. Readers begin deferred and, in WAL
mode, never wait for writers. Other dialects need nothing at the start (row locks wait); the
``kb_write`` execution option is where they can hook in.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, Self, TypeVar, cast

from sqlalchemy import Table, event, inspect
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import Mapped, UOWTransaction
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, SQLModel, col, create_engine

from kb.errors import NotFound

WRITE_OPTION = "kb_write"
BUSY_TIMEOUT_S = 30
IN_CHUNK = 500  # ids bound per IN (...) or rows per executemany: under SQLite's parameter limit


class Sliceable(Protocol):
    """What ``chunks`` cuts: a sized sequence whose slices are of its own type."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: slice, /) -> Self: ...


Row = TypeVar("Row")
Items = TypeVar("Items", bound=Sliceable)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL and foreign keys so it behaves like a server DB."""
    from kb.database.schema import models_metadata

    models_metadata()  # every model's enums as checked strings before anything binds a value
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False,
                                                    "timeout": BUSY_TIMEOUT_S})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            # The stdlib driver defers BEGIN, so a SAVEPOINT would open (and its RELEASE commit)
            # the transaction; SQLAlchemy's documented recipe: autocommit driver, explicit BEGIN.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            # A writer's transaction is a write transaction from its first statement, so the
            # busy timeout applies; reads (and connections without the option) stay deferred.
            write = conn.get_execution_options().get(WRITE_OPTION)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def create_schema(engine: Engine, *, upgrade: bool = False) -> None:
    """Make the schema of an empty database by migrating it to the head revision; refuse one that
    is behind (or upgrade it when ``upgrade``) or unknown, with a message (see
    kb.database.schema)."""
    from kb.database import schema

    schema.prepare(engine, upgrade=upgrade)


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


def _refuse_writes(session: Session, _context: UOWTransaction,
                   _instances: Sequence[object] | None) -> None:
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


def table_of(model: type[SQLModel]) -> Table:
    """The ``Table`` a table model (``table=True``) maps to, for Core statements."""
    found = inspect(model).local_table
    if not isinstance(found, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return found


def insert_ignore(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> int:
    """Insert ``rows``, skipping any that hit a UNIQUE constraint; returns how many were new."""
    if not rows:
        return 0
    maker = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = table_of(model)
    key = next(iter(table.primary_key.columns))
    added = 0
    for chunk in chunks(rows):
        # Count the rows RETURNING hands back: an ignored insert's rowcount is -1 under psycopg.
        stmt = maker(table).on_conflict_do_nothing().returning(key)
        result = session.connection().execute(stmt, chunk)
        added += len(result.all())
    return added


def chunks(items: Items, size: int = IN_CHUNK) -> Iterator[Items]:
    """``items`` (a list, tuple or numpy array) in consecutive slices of at most ``size``: for
    ``IN (...)`` queries and bulk inserts that must stay under the bound-parameter limit, and
    for any other work done a batch at a time."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def get_or_missing(session: Session, model: type[Row], item_id: object, message: str, *,
                   error: type[NotFound] = NotFound) -> Row:
    """The ``model`` row with primary key ``item_id``, or ``error(message)`` (NotFound unless
    told) when there is none; an ``item_id`` of None names no row and reads nothing."""
    row = session.get(model, item_id) if item_id is not None else None
    if row is None:
        raise error(message)
    return row


def key(row: object) -> int:
    """``row``'s integer primary key (``id``), which a row has once it is stored or flushed.

    SQLModel types ``id`` as ``int | None`` because a new row has none yet; code that holds a
    stored row reads its key through here, so a row used before its flush fails at once and says
    so, instead of writing None into a foreign key.
    """
    value = getattr(row, "id", None)
    if value is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush the session before using it")
    return int(value)


def id_column(column: int | None) -> Mapped[int]:
    """A model's integer primary key column (``Model.id``) in a query, typed as the database holds
    it: never NULL, though the attribute is ``int | None`` for a row not stored yet."""
    return cast(Mapped[int], col(column))
