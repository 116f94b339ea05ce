"""The county's clock: days, hours and "today" follow Asia/Shanghai (UTC+8, no daylight saving)."""

from datetime import UTC, date, datetime, time, timedelta, timezone

COUNTY_TZ = timezone(timedelta(hours=8))


def county_day(moment: datetime) -> date:
    """The county calendar day of an aware datetime."""
    return moment.astimezone(COUNTY_TZ).date()


def county_today(now: datetime | None = None) -> date:
    """Today in the county (or the county day of ``now``)."""
    return county_day(now or datetime.now(UTC))


def county_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The county day ``day`` as UTC [start, end)."""
    start = datetime.combine(day, time(0), tzinfo=COUNTY_TZ).astimezone(UTC)
    return start, start + timedelta(days=1)
