"""Time rules for delivery: UTC in the database, quiet hours and periods in Asia/Shanghai."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")
DIGEST_HOUR = 8  # digests go out at 08:00 local time


def to_utc(moment: datetime | None = None) -> datetime:
    """``moment`` (default now) as an aware UTC datetime, the form stored in the database."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:  # naive values are taken to be UTC
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def local(moment: datetime) -> datetime:
    """A UTC (aware, or naive taken as UTC) datetime in Asia/Shanghai."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL)


def local_today(moment: datetime | None = None) -> date:
    """The calendar day in Asia/Shanghai."""
    return local(moment or datetime.now(UTC)).date()


def _from_local(day: date, at: time) -> datetime:
    """UTC for a local wall-clock time."""
    return to_utc(datetime.combine(day, at, tzinfo=LOCAL))


def parse_hhmm(value: str) -> time:
    """"22:00" as a time; raises ValueError when malformed."""
    hours, minutes = value.strip().split(":")
    return time(int(hours), int(minutes))


def quiet_until(moment: datetime, start: str | None, end: str | None) -> datetime | None:
    """When the quiet period containing ``moment`` ends (UTC), or None outside quiet hours."""
    if not start or not end:
        return None
    t0, t1 = parse_hhmm(start), parse_hhmm(end)
    now = local(moment)
    clock, today = now.time().replace(tzinfo=None), now.date()
    if t0 == t1:
        return None
    if t0 < t1:  # e.g. 12:00–14:00 within a day
        return _from_local(today, t1) if t0 <= clock < t1 else None
    if clock >= t0:  # e.g. 22:00–08:00, evening part
        return _from_local(today + timedelta(days=1), t1)
    if clock < t1:  # morning part
        return _from_local(today, t1)
    return None


def next_local_midnight(moment: datetime) -> datetime:
    """The start of the next Asia/Shanghai day (UTC): when a daily cap resets."""
    return _from_local(local(moment).date() + timedelta(days=1), time(0))


def local_day_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """The Asia/Shanghai day containing ``moment`` as UTC [start, end)."""
    day = local(moment).date()
    return _from_local(day, time(0)), _from_local(day + timedelta(days=1), time(0))


def digest_slot(moment: datetime, weekly: bool) -> datetime:
    """The next digest time after ``moment``: 08:00 local tomorrow, or next Monday for weekly."""
    day = local(moment).date() + timedelta(days=1)
    if weekly:
        day += timedelta(days=(7 - day.weekday()) % 7)
    return _from_local(day, time(DIGEST_HOUR))
