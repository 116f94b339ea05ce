"""Firm fact tables: the county's fact definitions, the yearly values, and disputes about them."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from kb.database.types import UTCDateTime
from kb.models import utcnow


class FactType(StrEnum):
    """What kind of value a fact holds."""

    NUMBER = "number"
    BOOL = "bool"  # 是/否
    DATE = "date"
    LIST = "list"


class DisputeStatus(StrEnum):
    """Where a firm's objection to one of its facts stands."""

    OPEN = "open"  # 待处理
    RESOLVED = "resolved"  # 已处理


class FactDefinition(SQLModel, table=True):
    """A fact the county defines beyond the built-in ones (push/facts/catalog.py)."""

    name: str = Field(primary_key=True, max_length=50)  # key used in files and rules
    label: str = Field(max_length=50)  # 中文名, also accepted as a column header
    type: FactType = FactType.NUMBER
    unit: str = Field(default="", max_length=10)  # 万元, %, 人, ...
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FirmFact(SQLModel, table=True):
    """One yearly value of one fact for one firm; a re-import replaces it."""

    __table_args__ = (UniqueConstraint("firm_id", "name", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id", index=True)
    name: str = Field(max_length=50, index=True)
    year: int = Field(index=True)
    value: dict = Field(sa_column=Column(JSON, nullable=False))  # {"v": value}: JSON null-safe
    source: str = Field(max_length=100)  # the department that supplied it
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    file: str = Field(default="", max_length=300)  # the import file's name
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FactDispute(SQLModel, table=True):
    """A firm's objection to one of its facts, queued for the department that supplied it."""

    id: int | None = Field(default=None, primary_key=True)
    fact_id: int = Field(foreign_key="firmfact.id", index=True)
    firm_id: int = Field(foreign_key="firm.id", index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    source: str = Field(max_length=100)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    status: DisputeStatus = Field(default=DisputeStatus.OPEN, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolution: str | None = Field(default=None, sa_column=Column(Text))
