"""The rate-limit table: the current fixed window's count per key (expired rows are purged)."""

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel


class RateCounter(SQLModel, table=True):
    """How often one key (e.g. ``ask:203.0.113.7``) was counted in its current window."""

    __tablename__ = "rate_counter"

    key: str = Field(primary_key=True, max_length=200)
    # Epoch seconds, whole: the window's start is compared for equality in the upsert.
    window_start: int = Field(sa_column=Column(BigInteger, nullable=False))
    expires_at: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    hits: int = 0
