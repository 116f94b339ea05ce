"""Time rules for delivery: UTC in the database, quiet hours and periods on the county's clock
(kb/clock.py, the one clock of kb, push and web)."""

from datetime import date, datetime, time, timedelta

from kb import clock
from kb.clock import COUNTY_TZ as LOCAL

DIGEST_HOUR = 8  # digests go out at 08:00 local time


def to_utc(moment: datetime | None = None) -> datetime:
    """``moment`` (default now) as an aware UTC datetime, the form stored in the database."""
    return clock.aware(moment or clock.now())


def local(moment: datetime) -> datetime:
    """A UTC (aware, or naive taken as UTC) datetime on the county's clock."""
    return clock.county_time(moment)


def local_today(moment: datetime | None = None) -> date:
    """The county's calendar day (of ``moment``, default now)."""
    return clock.county_today(moment)


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
