"""Column types shared by every table."""

from datetime import datetime

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from kb.clock import aware


class UTCDateTime(TypeDecorator):
    """A moment stored as naive UTC (``timestamp without time zone`` on PostgreSQL, text on
    SQLite) and read back aware in UTC, on both databases alike. A naive value written is taken
    to be UTC already."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Aware in, naive UTC to the column."""
        return None if value is None else aware(value).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Naive UTC from the column, aware out."""
        return None if value is None else aware(value)
