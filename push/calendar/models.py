"""The calendar's table: the days on which the county departs from the weekday rule."""

from datetime import date

from sqlmodel import Field, SQLModel


class CalendarDay(SQLModel, table=True):
    """A county calendar exception: a holiday on a weekday, or a weekend working day (调休)."""

    day: date = Field(primary_key=True)
    workday: bool = False
    name: str = Field(default="", max_length=50)
