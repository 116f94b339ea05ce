"""The one clock: "now" in UTC and "today" in the county (Asia/Shanghai, UTC+8).

Every "now" and every county day in kb, push and web comes from here, so a question asked at
23:30 UTC is dated by the county's calendar (the next day) everywhere at once. China has kept
UTC+8 without daylight saving since 1991, so a fixed offset is exact and needs no tz database.
Tests and replays may ``freeze`` the clock; nothing else sets it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta, timezone

COUNTY_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
_frozen: list[datetime] = []  # the moment set by ``freeze`` (innermost last)


def now() -> datetime:
    """The current moment, aware, in UTC."""
    return _frozen[-1] if _frozen else datetime.now(UTC)


@contextmanager
def freeze(moment: datetime) -> Iterator[datetime]:
    """Make ``now()`` return ``moment`` (aware) inside the block, in every thread."""
    moment = aware(moment)
    _frozen.append(moment)
    try:
        yield moment
    finally:
        _frozen.remove(moment)


def aware(moment: datetime) -> datetime:
    """``moment`` in UTC, aware; a naive value is taken to be UTC (how the database holds it)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def county_time(moment: datetime) -> datetime:
    """``moment`` on the county's wall clock."""
    return aware(moment).astimezone(COUNTY_TZ)


def local_time(moment: datetime | None, empty: str = "", fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time as the county reads it, e.g. "2025-03-01 09:30" (``empty`` for None)."""
    return county_time(moment).strftime(fmt) if moment else empty


def county_day(moment: datetime) -> date:
    """The county calendar day of ``moment``."""
    return county_time(moment).date()


def county_today(at: datetime | None = None) -> date:
    """Today in the county (or the county day of ``at``)."""
    return county_day(at or now())


def county_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The county day ``day`` as UTC [start, end)."""
    start = datetime.combine(day, time(0), tzinfo=COUNTY_TZ).astimezone(UTC)
    return start, start + timedelta(days=1)
