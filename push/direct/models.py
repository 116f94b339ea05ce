"""免申即享 tables: a list per policy and period, its frozen entries, and the payments made."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from kb.database.types import UTCDateTime
from kb.models import utcnow


class ListStatus(StrEnum):
    """Where a 免申即享 list stands in its sign-off."""

    GENERATED = "generated"  # 待审核
    REVIEWED = "reviewed"  # 已审核，待发布
    PUBLISHED = "published"  # 已发布：applications at 已核定
    RETURNED = "returned"  # 已退回 (regenerate)


LIST_STATUS_LABELS = {ListStatus.GENERATED: "待审核", ListStatus.REVIEWED: "待发布",
                      ListStatus.PUBLISHED: "已发布", ListStatus.RETURNED: "已退回"}


class DirectList(SQLModel, table=True):
    """The eligible firms of one policy for one period, as generated from the facts."""

    id: int | None = Field(default=None, primary_key=True)
    policy_id: int = Field(foreign_key="policy.id", index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    period: str = Field(max_length=20, index=True)  # e.g. "2026"
    year: int  # the application year the rules were judged in
    status: ListStatus = Field(default=ListStatus.GENERATED, index=True)
    firms: int = 0
    total: float = 0.0  # 万元
    # Against what was already paid for the policy and period: {"added", "changed", "dropped"};
    # "previous": firms added, removed and changed against the previous list (None for the first).
    diff: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    generated_by: str = Field(max_length=100)
    generated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    reviewed_by: str | None = Field(default=None, max_length=100)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_by: str | None = Field(default=None, max_length=100)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    comment: str | None = Field(default=None, sa_column=Column(Text))


class DirectEntry(SQLModel, table=True):
    """One firm and measure on a list: the amount and the facts used, frozen at generation."""

    __table_args__ = (UniqueConstraint("list_id", "firm_id", "measure"),)

    id: int | None = Field(default=None, primary_key=True)
    list_id: int = Field(foreign_key="directlist.id", index=True)
    firm_id: int = Field(foreign_key="firm.id", index=True)
    measure: str = Field(max_length=40)
    amount: float  # 万元
    formula: str = Field(default="", sa_column=Column(Text, nullable=False))
    facts: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class DirectPayment(SQLModel, table=True):
    """A firm paid for a policy, measure and period: the unique key that makes it happen once."""

    __table_args__ = (UniqueConstraint("policy_id", "measure", "period", "firm_id"),)

    id: int | None = Field(default=None, primary_key=True)
    policy_id: int = Field(foreign_key="policy.id", index=True)
    measure: str = Field(max_length=40)
    period: str = Field(max_length=20)
    firm_id: int = Field(foreign_key="firm.id", index=True)
    list_id: int = Field(foreign_key="directlist.id", index=True)
    application_id: int | None = Field(default=None, foreign_key="application.id", index=True)
    amount: float
    objection_until: date | None = None  # 异议 window: the last day to object
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
