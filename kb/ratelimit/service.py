"""A fixed-window limit per key, counted in one upsert statement so every worker shares it."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import bindparam, case, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from kb.database.db import writer
from kb.ratelimit.models import RateCounter

MAX_KEY = 200


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
        hits = count_hit(engine=self.engine, key=f"{self.scope}:{key}"[:MAX_KEY],
                         window_start=start, expires_at=start + self.window_s, now=int(now))
        # Refused hits are counted too: a client that keeps hammering stays refused until the
        # window ends, whatever other keys arrive (nothing current is ever dropped).
        return 0.0 if hits <= self.limit else max(start + self.window_s - now, 0.001)


@cache
def _upsert(dialect: str):  # noqa: ANN202
    # Built once per dialect with bound parameters, so each hit only executes a cached statement.
    table = RateCounter.__table__
    maker = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = maker(table).values(key=bindparam("key"), window_start=bindparam("start"),
                               expires_at=bindparam("expires"), hits=1)
    same_window = table.c.window_start == stmt.excluded.window_start
    return stmt.on_conflict_do_update(index_elements=[table.c.key], set_={
        "hits": case((same_window, table.c.hits + 1), else_=1),
        "window_start": stmt.excluded.window_start,
        "expires_at": stmt.excluded.expires_at,
    }).returning(table.c.hits)


_PURGE = delete(RateCounter.__table__).where(RateCounter.__table__.c.expires_at <= bindparam("now"))


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
