"""The knowledge base's tables: the database is the source of truth, indexes derive from it."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from kb import clock
from kb.database.types import UTCDateTime


def utcnow() -> datetime:
    """Now, aware in UTC, from the county's one clock (kb/clock.py)."""
    return clock.now()


class Validity(StrEnum):
    """A policy's legal status, as published in the county's 规范性文件 list."""

    VALID = "有效"
    EXPIRED = "失效"
    REPEALED = "废止"
    REVISED = "已修订"


class Audience(StrEnum):
    """Whom a policy is for: firms that apply, firms paid without applying, or staff only."""

    ENTERPRISE = "企业申报"  # firms apply for it (一般申报 or 快申快享)
    AUTOMATIC = "免申即享"  # firms are paid from shared data and never apply
    INTERNAL = "工作部署"  # a work notice or plan for departments: never matched, pushed or applied to


class Level(StrEnum):
    """The government level that issued a policy."""

    NATIONAL = "国家"
    PROVINCE = "省"
    CITY = "市"
    COUNTY = "县"


class Status(StrEnum):
    """Sign-off state of authored content; only ``published`` is searched or pushed."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class PassageKind(StrEnum):
    """What a retrieval unit was cut from."""

    CLAUSE = "clause"
    BACKGROUND = "background"
    PURPOSE = "purpose"
    MEASURES = "measures"
    SECTION = "section"  # a further interpretation section
    FAQ = "faq"


# --- Department -------------------------------------------------------------------------


class Department(SQLModel, table=True):
    """A county department that issues policies and answers for them."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True, max_length=100)
    phone: str | None = None


# --- Policy -----------------------------------------------------------------------------


class PolicyBase(SQLModel):
    """Fields a policy carries, shared by the table and the API shapes."""

    title: str = Field(min_length=1, max_length=300)
    doc_number: str | None = Field(default=None, max_length=100, index=True)  # 文号
    issuer: str | None = Field(default=None, max_length=200)  # 发文机关
    level: Level | None = None
    issue_date: date | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    validity: Validity = Validity.VALID
    audience: Audience = Audience.ENTERPRISE
    source_url: str | None = None
    # Service elements (政务服务要素).
    beneficiaries: str | None = None  # 惠及对象
    conditions: str | None = Field(default=None, sa_column=Column(Text))  # 申报条件
    fulfil_time: str | None = None  # 兑现时限
    address: str | None = None  # 受理地址
    phone: str | None = None  # 咨询电话
    apply_from: date | None = None  # application window
    apply_to: date | None = None


class Policy(PolicyBase, table=True):
    """A policy document with its push facets; ``source_key`` makes re-ingestion idempotent."""

    id: int | None = Field(default=None, primary_key=True)
    source_key: str = Field(unique=True, index=True, max_length=400)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    superseded_by_id: int | None = Field(default=None, foreign_key="policy.id")
    full_text: str = Field(default="", sa_column=Column(Text, nullable=False))  # as segmented
    source_text: str | None = Field(default=None, sa_column=Column(Text))  # as written or ingested
    themes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Push facets: GB/T 4754-2017 codes at any level (e.g. "C", "39", "3911").
    industries_include: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    industries_exclude: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    sizes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    regions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    qualifications: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    status: Status = Status.PUBLISHED
    version: int = 1  # bumped by every published change; pushes are keyed on it
    drafter: str | None = None  # 拟稿人 / 审核人 / 发布人 of the published version
    reviewer: str | None = None
    publisher: str | None = None
    content_hash: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PolicyPublic(PolicyBase):
    """A policy as shown to the public."""

    id: int
    department: str | None = None
    superseded_by_id: int | None = None
    themes: list[str] = []


# --- Interpretation and FAQ -------------------------------------------------------------


class Interpretation(SQLModel, table=True):
    """A substantive explanation of a policy: 背景, 目的, 主要举措 and further sections."""

    id: int | None = Field(default=None, primary_key=True)
    policy_id: int = Field(foreign_key="policy.id", index=True)
    title: str | None = None
    background: str = Field(default="", sa_column=Column(Text, nullable=False))  # 背景
    purpose: str = Field(default="", sa_column=Column(Text, nullable=False))  # 目的
    measures: str = Field(default="", sa_column=Column(Text, nullable=False))  # 主要举措
    # Further sections: [{"title": ..., "text": ...}].
    sections: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    drafter: str | None = None  # 拟稿人
    reviewer: str | None = None  # 审核人
    publisher: str | None = None  # 发布人
    status: Status = Status.PUBLISHED
    version: int = 1
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FaqItem(SQLModel, table=True):
    """A curated question and answer about a policy."""

    id: int | None = Field(default=None, primary_key=True)
    policy_id: int = Field(foreign_key="policy.id", index=True)
    interpretation_id: int | None = Field(default=None, foreign_key="interpretation.id")
    question: str = Field(sa_column=Column(Text, nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))
    ordinal: int = 0
    status: Status = Status.PUBLISHED
    drafter: str | None = None
    reviewer: str | None = None
    publisher: str | None = None
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- Passage ----------------------------------------------------------------------------


class Passage(SQLModel, table=True):
    """The unit of retrieval, cut from a policy's text, an interpretation or an FAQ item."""

    # Ids are never reused (SQLite AUTOINCREMENT): searchers follow the table by id, so a new
    # passage taking a deleted one's id would keep the old text in every index.
    __table_args__ = (UniqueConstraint("policy_id", "ordinal"), {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    policy_id: int = Field(foreign_key="policy.id", index=True)
    interpretation_id: int | None = Field(default=None, foreign_key="interpretation.id")
    faq_id: int | None = Field(default=None, foreign_key="faqitem.id")
    ordinal: int = 0  # order within the policy
    kind: PassageKind = PassageKind.CLAUSE
    section: str = ""  # label as printed, e.g. "第三条", "六、", "三、（二）"
    heading: str = Field(default="", sa_column=Column(Text, nullable=False))  # heading context
    text: str = Field(sa_column=Column(Text, nullable=False))
    start: int = 0  # character offsets into the source text (policy full text or section)
    end: int = 0
    # Clause metadata, e.g. {"responsible": ["县发改委", ...]}.
    meta: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# --- Index bookkeeping ------------------------------------------------------------------


class IndexState(SQLModel, table=True):
    """A version counter per derived index; every process reloads when it moves."""

    name: str = Field(primary_key=True, max_length=50)
    # 64-bit: the database identity is a 62-bit random number (INTEGER is 32-bit on PostgreSQL).
    version: int = Field(default=0, sa_type=BigInteger)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class JobLease(SQLModel, table=True):
    """Who runs a scheduled job in this period; one row per job, shared by every process."""

    name: str = Field(primary_key=True, max_length=50)
    period: str = Field(default="", max_length=40)  # the last period the job completed
    holder: str | None = Field(default=None, max_length=100)  # process running it now
    until: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the holder's lease ends here; a dead holder's lapses
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class IndexChange(SQLModel, table=True):
    """Which policy's passages or ranking facts a version of the index changed (None: anything)."""

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(index=True, sa_type=BigInteger)
    policy_id: int | None = None


# --- Sign-off revisions -----------------------------------------------------------------


class ContentKind(StrEnum):
    """kb's own content a revision edits (packages register more: kb.authoring.kinds)."""

    POLICY = "policy"
    INTERPRETATION = "interpretation"
    FAQ = "faq"


KIND_LABELS = {ContentKind.POLICY: "政策文件", ContentKind.INTERPRETATION: "政策解读",
               ContentKind.FAQ: "常见问题"}


class Revision(SQLModel, table=True):
    """A proposed new content of one policy, interpretation or FAQ item, on its way to publication."""

    id: int | None = Field(default=None, primary_key=True)
    # A ContentKind or a kind another package registers (kb.authoring.kinds checks it).
    kind: str = Field(max_length=32)
    record_id: int | None = None  # the live record it changes; None: a new one
    policy_id: int | None = Field(default=None, foreign_key="policy.id", index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    label: str = Field(default="", max_length=300)  # what lists show (title or question)
    data: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The live record's content when drafting began: publishing refuses if it changed since.
    base: dict | None = Field(default=None, sa_column=Column(JSON))
    status: Status = Field(default=Status.DRAFT, index=True)
    base_version: int | None = None  # the policy version the draft was written against
    drafter_id: int = Field(foreign_key="user.id")
    reviewer_id: int | None = Field(default=None, foreign_key="user.id")
    publisher_id: int | None = Field(default=None, foreign_key="user.id")
    comment: str | None = Field(default=None, sa_column=Column(Text))  # the last return comment
    # Every step: [{"at", "by", "action", "comment"}].
    history: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    topic_id: int | None = Field(default=None, foreign_key="ledgertopic.id")  # answers this topic
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- Versions ---------------------------------------------------------------------------


class PolicyVersion(SQLModel, table=True):
    """An immutable snapshot of a policy as published: fields, interpretations and FAQ."""

    __table_args__ = (UniqueConstraint("policy_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    policy_id: int = Field(foreign_key="policy.id", index=True)
    version: int
    snapshot: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    summary: str = Field(default="", max_length=300)  # e.g. "发布政策解读《…》", "回退到第 2 版"
    revision_id: int | None = Field(default=None, foreign_key="revision.id")
    published_by: str = Field(default="", max_length=100)
    published_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
