"""Tables for staff work: accounts and sessions, sign-off revisions, versions, audit log, ledger."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from kb.models import Status, utcnow

# --- Accounts ---------------------------------------------------------------------------


class Role(StrEnum):
    """What a staff user may do; a user holds one or more."""

    DRAFTER = "drafter"  # 拟稿人: drafts policies, interpretations and FAQ of their department
    REVIEWER = "reviewer"  # 审核人: approves or returns submitted drafts
    PUBLISHER = "publisher"  # 发布人: publishes approved drafts, withdraws, rolls back
    ADMIN = "admin"  # 管理员: accounts, ledger assignment, statistics, audit log
    AGENT = "agent"  # 坐席: the 12345 hotline console


ROLE_LABELS = {Role.DRAFTER: "拟稿人", Role.REVIEWER: "审核人", Role.PUBLISHER: "发布人",
               Role.ADMIN: "管理员", Role.AGENT: "坐席"}


class User(SQLModel, table=True):
    """A staff member of one department; ``name`` is what sign-offs show."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=64)
    name: str = Field(max_length=100)  # shown as 拟稿人 / 审核人 / 发布人
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    password_hash: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None

    def has(self, role: Role) -> bool:
        """Whether the user holds ``role``."""
        return role.value in self.roles


class UserSession(SQLModel, table=True):
    """A signed-in browser; the cookie holds a random token, the table only its sha256."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    csrf_token: str = Field(max_length=64)
    client: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    last_seen_at: datetime = Field(default_factory=utcnow)


class LoginAttempt(SQLModel, table=True):
    """One sign-in attempt, kept to throttle password guessing per account and per address."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, index=True)
    client: str = Field(default="", max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    ok: bool = False


# --- Sign-off ---------------------------------------------------------------------------


class ContentKind(StrEnum):
    """What a revision edits."""

    POLICY = "policy"
    INTERPRETATION = "interpretation"
    FAQ = "faq"


KIND_LABELS = {ContentKind.POLICY: "政策文件", ContentKind.INTERPRETATION: "政策解读",
               ContentKind.FAQ: "常见问题"}


class Revision(SQLModel, table=True):
    """A proposed new content of one policy, interpretation or FAQ item, on its way to publication."""

    id: int | None = Field(default=None, primary_key=True)
    kind: ContentKind
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
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None


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
    published_at: datetime = Field(default_factory=utcnow)


# --- Audit ------------------------------------------------------------------------------


class AuditEntry(SQLModel, table=True):
    """Who did what to which record, when, from where; rows are never updated or deleted."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    actor: str = Field(max_length=100)  # username, or "system" for scheduled jobs
    action: str = Field(max_length=40, index=True)
    record_kind: str = Field(default="", max_length=40)
    record_id: int | None = None
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    client: str = Field(default="", max_length=64)


# --- Unanswered-question ledger ---------------------------------------------------------


class TopicStatus(StrEnum):
    """Where a ledger topic stands."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    CLOSED = "closed"


TOPIC_STATUS_LABELS = {TopicStatus.OPEN: "待办", TopicStatus.IN_PROGRESS: "办理中",
                       TopicStatus.ANSWERED: "已答复", TopicStatus.CLOSED: "已关闭"}


class LedgerTopic(SQLModel, table=True):
    """Questions the product could not answer well, grouped by similarity, owned by a department."""

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_column=Column(Text, nullable=False))  # a representative question
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    due_date: date | None = None
    status: TopicStatus = Field(default=TopicStatus.OPEN, index=True)
    answer_kind: str | None = Field(default=None, max_length=20)  # "faq" | "interpretation"
    answer_id: int | None = None  # FaqItem.id or Interpretation.id
    answer_policy_id: int | None = Field(default=None, foreign_key="policy.id")
    question_count: int = 0
    note: str | None = Field(default=None, sa_column=Column(Text))
    first_asked_at: datetime = Field(default_factory=utcnow)
    last_asked_at: datetime = Field(default_factory=utcnow)
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
