"""A fixed-window limit per key, counted in one upsert statement so every worker shares it.

On PostgreSQL the count is a row of ``rate_counter`` (row locks: askers never wait for each
other's writes). On SQLite, whose one write lock every unit of work of the knowledge base takes,
a question would otherwise take it twice (its count and its log line): there the counts live in a
small SQLite file of their own beside the database (``<name>-ratelimit.sqlite``), shared by every
process on the machine as the database is, and never contending with its writers. Counts are
not worth an fsync: that file syncs nothing, and a count lost in a crash is one more question
allowed.
"""

import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, case, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.sql.dml import ReturningInsert

from kb.database.db import table_of, writer
from kb.ratelimit.models import RateCounter

MAX_KEY = 200
_TABLE = table_of(RateCounter)


@dataclass
class RateLimiter:
    """At most ``limit`` hits per key in each ``window_s``-second window, for all processes."""

    engine: Engine
    scope: str  # keeps one limit's keys apart from another's (ask, feedback, track)
    limit: int
    window_s: int
    # Wall-clock time: windows must mean the same in every process (monotonic clocks do not).
    clock: Callable[[], float] = field(default=time.time)

    def hit(self, key: str) -> float:
        """Count one hit for ``key``: 0 if allowed, else the seconds until its window ends."""
        now = self.clock()
        start = int(now // self.window_s) * self.window_s
        counts = counts_for(self.engine)
        hits = counts.count(key=f"{self.scope}:{key}"[:MAX_KEY], window_start=start,
                            expires_at=start + self.window_s, now=int(now))
        # Refused hits are counted too: a client that keeps hammering stays refused until the
        # window ends, whatever other keys arrive (nothing current is ever dropped).
        return 0.0 if hits <= self.limit else max(start + self.window_s - now, 0.001)


@cache
def _upsert(dialect: str) -> ReturningInsert[Any]:
    # Built once per dialect with bound parameters, so each hit only executes a cached statement.
    table = _TABLE
    maker = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = maker(table).values(key=bindparam("key"), window_start=bindparam("start"),
                               expires_at=bindparam("expires"), hits=1)
    same_window = table.c.window_start == stmt.excluded.window_start
    return stmt.on_conflict_do_update(index_elements=[table.c.key], set_={
        "hits": case((same_window, table.c.hits + 1), else_=1),
        "window_start": stmt.excluded.window_start,
        "expires_at": stmt.excluded.expires_at,
    }).returning(table.c.hits)


_PURGE = delete(_TABLE).where(_TABLE.c.expires_at <= bindparam("now"))


def count_hit(*, engine: Engine, key: str, window_start: int, expires_at: int, now: int) -> int:
    """Add one hit to ``key``'s window (a new window starts at 1); returns its count."""
    # A write transaction from its first statement (kb.database.db.writer), one statement and no
    # ORM.
    with writer(engine).begin() as connection:
        hits = connection.execute(_upsert(engine.dialect.name), {
            "key": key, "start": window_start, "expires": expires_at}).scalar_one()
        if hits == 1:  # a window began: rows whose windows have ended go (bounded growth)
            connection.execute(_PURGE, {"now": now})
    return hits


class _DatabaseCounts:
    """Counts in the knowledge base's own ``rate_counter`` table (PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def count(self, *, key: str, window_start: int, expires_at: int, now: int) -> int:
        return count_hit(engine=self.engine, key=key, window_start=window_start,
                         expires_at=expires_at, now=now)

    def rows(self) -> int:
        from sqlalchemy import func, select

        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(_TABLE)).scalar_one()


class _FileCounts:
    """Counts in a SQLite file of their own beside a SQLite knowledge base."""

    UPSERT = ("INSERT INTO rate_counter (key, window_start, expires_at, hits) VALUES (?, ?, ?, 1) "
              "ON CONFLICT (key) DO UPDATE SET hits = CASE WHEN window_start = "
              "excluded.window_start THEN hits + 1 ELSE 1 END, window_start = "
              "excluded.window_start, expires_at = excluded.expires_at RETURNING hits")

    def __init__(self, path: Path) -> None:
        self.path = path
        # One connection, its statements a few microseconds each: a lock, not one per thread.
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE IF NOT EXISTS rate_counter (key TEXT PRIMARY KEY, "
                         "window_start INTEGER NOT NULL, expires_at INTEGER NOT NULL, "
                         "hits INTEGER NOT NULL)")
        self._db.execute("CREATE INDEX IF NOT EXISTS rate_counter_expires ON rate_counter "
                         "(expires_at)")

    def count(self, *, key: str, window_start: int, expires_at: int, now: int) -> int:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                hits = self._db.execute(self.UPSERT, (key, window_start, expires_at)).fetchone()[0]
                if hits == 1:  # a window began: rows whose windows have ended go (bounded size)
                    self._db.execute("DELETE FROM rate_counter WHERE expires_at <= ?", (now,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return hits

    def rows(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM rate_counter").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()


_FILES: "OrderedDict[Path, _FileCounts]" = OrderedDict()
_FILES_LOCK = threading.Lock()
_FILES_KEPT = 8  # a process serves one database; tests and tools open many, one after another


@lru_cache(maxsize=64)
def _side_file(database: str) -> Path:
    # Resolved once per database: resolving asks the file system, on every question otherwise.
    path = Path(database).resolve()
    return path.with_name(f"{path.stem}-ratelimit.sqlite")


def counts_for(engine: Engine) -> "_DatabaseCounts | _FileCounts":
    """Where ``engine``'s rate limits are counted: a side file for a SQLite file, else its table."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return _DatabaseCounts(engine)
    path = _side_file(database)
    with _FILES_LOCK:
        found = _FILES.get(path)
        if found is None:
            found = _FILES[path] = _FileCounts(path)
            while len(_FILES) > _FILES_KEPT:
                _FILES.popitem(last=False)[1].close()
        _FILES.move_to_end(path)
        return found
