"""Guide tables: one published application guide (申兑指南) per enterprise policy."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from kb.database.types import UTCDateTime
from kb.models import utcnow


class GuideMode(StrEnum):
    """How a firm obtains the benefit."""

    DIRECT = "direct"  # 免申即享: paid from the facts without an application
    FAST = "fast"  # 快申快享: a quick application, paid within the promised working days
    ORDINARY = "ordinary"  # 一般申报


MODE_LABELS = {GuideMode.DIRECT: "免申即享", GuideMode.FAST: "快申快享", GuideMode.ORDINARY: "一般申报"}


class Guide(SQLModel, table=True):
    """The published guide of one policy; drafts travel as revisions of kind ``guide``."""

    id: int | None = Field(default=None, primary_key=True)
    policy_id: int = Field(foreign_key="policy.id", unique=True, index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    mode: GuideMode = GuideMode.ORDINARY
    promised_days: int | None = None  # working days from approval to payment
    beneficiaries: str = Field(default="", sa_column=Column(Text, nullable=False))  # 惠及对象
    materials: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    where: str = Field(default="", max_length=300)  # 受理地点 / 平台
    phone: str = Field(default="", max_length=50)
    rules: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # GuideRules
    version: int = 1
    drafter: str | None = None
    reviewer: str | None = None
    publisher: str | None = None
    published_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
