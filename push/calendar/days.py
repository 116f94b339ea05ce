"""Working days: Monday to Friday, minus the county's holidays, plus its weekend working days."""

from datetime import date, timedelta

from sqlmodel import Session, select

from kb.errors import InvalidInput
from push.calendar.models import CalendarDay

MAX_SPAN_DAYS = 3660  # a promise or a stay longer than ten years is a typo, not a plan


class Calendar:
    """The county's working-day calendar, read once from the database."""

    def __init__(self, exceptions: dict[date, bool] | None = None) -> None:
        self.exceptions = exceptions or {}

    @classmethod
    def load(cls, session: Session) -> "Calendar":
        """The calendar with every exception the county has entered."""
        return cls({d.day: d.workday for d in session.exec(select(CalendarDay))})

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` is a working day."""
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def add(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day`` (``day`` itself when ``n`` is 0)."""
        current = day
        for _ in range(MAX_SPAN_DAYS):
            if n <= 0:
                return current
            current += timedelta(days=1)
            if self.is_workday(current):
                n -= 1
        raise InvalidInput(f"承诺时限过长：{n}个工作日")

    def between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
        if end <= start:
            return 0
        span = min((end - start).days, MAX_SPAN_DAYS)
        return sum(self.is_workday(start + timedelta(days=i)) for i in range(1, span + 1))


def set_day(*, session: Session, day: date, workday: bool, name: str = "") -> CalendarDay:
    """Enter (or replace) a holiday or a weekend working day."""
    row = session.get(CalendarDay, day) or CalendarDay(day=day)
    row.workday, row.name = workday, name.strip()[:50]
    session.add(row)
    session.flush()
    return row


def clear_day(*, session: Session, day: date) -> bool:
    """Remove an exception; the day follows the weekday rule again."""
    row = session.get(CalendarDay, day)
    if row is not None:
        session.delete(row)
        session.flush()
    return row is not None
