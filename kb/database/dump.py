"""A logical copy of every table: written from one snapshot, read back into an empty database.

Dialect-neutral on purpose: one code path for SQLite and PostgreSQL, a copy that can be read by
either (a county moving from one machine to a server restores its SQLite backup into PostgreSQL),
and a copy taken at an older revision can be loaded at that revision and then migrated up. Each
table is one JSON-lines file: a header naming the columns and how each value is written, then a
row per line. Nothing here names a table: the tables are whatever the database holds.
"""

import base64
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    LargeBinary,
    MetaData,
    Numeric,
    Table,
    Time,
    Update,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine

from kb.errors import KBError

SKIP = frozenset({"alembic_version"})  # the revision travels in the manifest, set by migrating
BATCH = 1000


class DumpError(KBError):
    """A table copy that cannot be loaded here; the message says which and why."""


# --- How a value is written -------------------------------------------------------------------


def _kind(column_type: Any) -> str:
    """How a column's values are written: JSON has no dates, decimals or bytes."""
    if isinstance(column_type, DateTime):
        return "datetime"
    if isinstance(column_type, Date):
        return "date"
    if isinstance(column_type, Time):
        return "time"
    if isinstance(column_type, LargeBinary):
        return "bytes"
    if isinstance(column_type, Numeric) and not isinstance(column_type, Float):
        return "decimal"
    if isinstance(column_type, JSON):
        return "json"
    return "plain"


def _encode(kind: str, value: Any) -> Any:
    if value is None or kind in ("plain", "json"):
        return value
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode()
    if kind == "decimal":
        return str(value)
    if isinstance(value, str):  # a date kept as text by the driver: already ISO
        return value
    return value.isoformat()


_DECODE = {
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
    "time": time.fromisoformat,
    "bytes": base64.b64decode,
    "decimal": Decimal,
}


def _decode(kind: str, value: Any) -> Any:
    if value is None or kind not in _DECODE:
        return value
    return _DECODE[kind](value)


# --- Writing ----------------------------------------------------------------------------------


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection that sees one moment of the database for as long as it is open, while other
    processes go on writing: SQLite's read transaction (WAL), PostgreSQL's REPEATABLE READ."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET TRANSACTION READ ONLY"))
            yield conn


def tables(conn: Connection) -> list[Table]:
    """The database's tables as it has them, each after the tables it refers to."""
    metadata = MetaData()
    metadata.reflect(conn)
    return [t for t in metadata.sorted_tables if t.name not in SKIP]


def write_table(conn: Connection, table: Table, out: IO[str]) -> int:
    """Write ``table``'s header and rows (in key order) to ``out``; returns the rows written."""
    kinds = [_kind(c.type) for c in table.columns]
    header = {"table": table.name, "columns": [c.name for c in table.columns], "kinds": kinds}
    out.write(json.dumps(header, ensure_ascii=False) + "\n")
    key = list(table.primary_key.columns) or list(table.columns)
    written = 0
    for row in conn.execution_options(yield_per=BATCH).execute(select(table).order_by(*key)):
        out.write(json.dumps([_encode(k, v) for k, v in zip(kinds, row, strict=True)],
                             ensure_ascii=False, separators=(",", ":")) + "\n")
        written += 1
    return written


def count_rows(conn: Connection, table: Table) -> int:
    """How many rows ``table`` holds."""
    return conn.execute(select(func.count()).select_from(table)).scalar_one()


# --- Reading ----------------------------------------------------------------------------------


@dataclass
class _Pending:
    """Foreign-key values held back until the rows they point to exist."""

    table: Table
    key: str
    values: list[tuple[Any, str, Any]]  # (row key, column, value)


def read_header(lines: Iterator[str], name: str) -> dict:
    """A table file's header, checked."""
    try:
        header = json.loads(next(lines))
    except (StopIteration, ValueError):
        raise DumpError(f"the copy of table {name} has no header: the backup is damaged") from None
    if header.get("table") != name or len(header.get("columns", ())) != len(header.get("kinds", ())):
        raise DumpError(f"the copy of table {name} has a wrong header: the backup is damaged")
    return header


def load(conn: Connection, sources: dict[str, Path]) -> dict[str, int]:
    """Insert every table's rows from ``sources`` (table name to file) into the empty tables of
    the database ``conn`` is on; returns the rows loaded per table.

    Tables are filled after those they refer to. A value pointing at a row not yet loaded (a
    policy superseded by a later one, a cycle between tables) is inserted empty and set once
    every table is in, so no constraint is ever switched off.
    """
    order = tables(conn)
    unknown = sorted(set(sources) - {t.name for t in order})
    if unknown:
        raise DumpError(f"the backup has tables this database does not: {', '.join(unknown)}")
    position = {t.name: i for i, t in enumerate(order)}
    counts: dict[str, int] = {}
    pending: list[_Pending] = []
    for table in order:
        if table.name in sources:
            counts[table.name], held = _load_table(conn, table, sources[table.name], position)
            if held.values:
                pending.append(held)
    for held in pending:
        for row_key, column, value in held.values:
            conn.execute(_update(held.table, held.key, column),
                         {"held_key": row_key, "held_value": value})
    _reset_sequences(conn, [t for t in order if t.name in sources])
    return counts


def _update(table: Table, key: str, column: str) -> Update:
    """UPDATE one column of one row, by key."""
    return (table.update().where(table.c[key] == bindparam("held_key"))
            .values({column: bindparam("held_value")}))


def _load_table(conn: Connection, table: Table, path: Path,
                position: dict[str, int]) -> tuple[int, _Pending]:
    with path.open(encoding="utf-8") as fh:
        lines = iter(fh)
        header = read_header(lines, table.name)
        columns, kinds = header["columns"], header["kinds"]
        missing = [c for c in columns if c not in table.c]
        if missing:
            raise DumpError(f"table {table.name} here has no column {', '.join(missing)}: "
                            "restore the backup with the PolicyKB version that made it")
        later, own = _held_columns(table, position)
        keys = [c.name for c in table.primary_key.columns]
        if (later or own) and len(keys) != 1:
            raise DumpError(f"table {table.name} refers to rows loaded after it but has no "
                            "single-column key to set them by")
        held = _Pending(table, keys[0] if keys else "", [])
        seen: set = set()  # own keys loaded so far, for references within the table
        batch: list[dict] = []
        loaded = 0
        for line in lines:
            values = json.loads(line)
            row = {c: _decode(k, v) for c, k, v in zip(columns, kinds, values, strict=True)}
            for column in own:
                if row[column] is not None and row[column] not in seen:
                    held.values.append((row[held.key], column, row[column]))
                    row[column] = None
            for column in later:
                if row[column] is not None:
                    held.values.append((row[held.key], column, row[column]))
                    row[column] = None
            for target in set(own.values()):
                seen.add(row[target])
            batch.append(row)
            if len(batch) >= BATCH:
                conn.execute(table.insert(), batch)
                loaded += len(batch)
                batch = []
        if batch:
            conn.execute(table.insert(), batch)
            loaded += len(batch)
    return loaded, held


def _held_columns(table: Table, position: dict[str, int]) -> tuple[list[str], dict[str, str]]:
    """Columns pointing at tables loaded later, and those pointing within the table (column to
    the column it refers to)."""
    later, own = [], {}
    for fk in table.foreign_keys:
        target = fk.column.table.name
        if target == table.name:
            own[fk.parent.name] = fk.column.name
        elif position.get(target, -1) > position[table.name]:
            later.append(fk.parent.name)
    return later, own


def _reset_sequences(conn: Connection, loaded: Iterable[Table]) -> None:
    """PostgreSQL: each key sequence continues after the largest key loaded (SQLite takes the
    next key from the rows themselves)."""
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer.quote
    for table in loaded:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or keys[0].type.python_type is not int:
            continue
        name, column = quote(table.name), keys[0].name
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence(:t, :c), m) "
            f"FROM (SELECT max({quote(column)}) AS m FROM {name}) AS k "
            f"WHERE m IS NOT NULL AND pg_get_serial_sequence(:t, :c) IS NOT NULL"),
            {"t": name, "c": column})
