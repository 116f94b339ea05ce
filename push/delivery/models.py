"""Delivery tables: the push outbox, digests, subscriptions, the inbox, marks and channel health.

Every datetime column holds aware UTC values (SQLModel's UTCDateTime); ``push.delivery.clock`` converts.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from kb.database.types import UTCDateTime
from kb.models import utcnow


class PushKind(StrEnum):
    """Why a message is sent."""

    NEW = "new"  # a policy (or its first version for this firm) fits the firm
    REVISED = "revised"  # a policy the firm was told about changed
    SUPERSEDED = "superseded"  # a policy the firm was told about was replaced
    REMINDER_14 = "reminder14"  # 14 days before the application window closes
    REMINDER_3 = "reminder3"  # 3 days before
    APPLICATION = "application"  # a firm's application moved a node (push.applications)
    GUIDE = "guide"  # the guide came after the policy: what the firm can now expect (once)


class PushStatus(StrEnum):
    """Where a push (or digest) is in its life."""

    PENDING = "pending"  # waiting until ``due_at`` (first try or retry, see ``attempts``)
    DELIVERED = "delivered"
    DEAD = "dead"  # dead letter: permanent failure or too many attempts
    HELD = "held"  # the firm's channel is suspended; re-enabling releases it
    CANCELLED = "cancelled"  # unsubscribed, marked 已申报/不适用, or replaced by a newer version


STATUS_LABELS = {PushStatus.PENDING: "待发送", PushStatus.DELIVERED: "已送达", PushStatus.DEAD: "死信",
                 PushStatus.HELD: "渠道暂停挂起", PushStatus.CANCELLED: "已取消"}


class Frequency(StrEnum):
    """How often a firm wants to hear from us."""

    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"


class Deliverable(SQLModel):
    """What the worker leases, sends and records: shared by pushes and digests."""

    key: str = Field(unique=True, index=True, max_length=200)  # idempotency key on the wire
    firm_id: int = Field(foreign_key="firm.id", index=True)
    channel: str = Field(max_length=20)
    status: PushStatus = Field(default=PushStatus.PENDING, index=True)
    due_at: datetime = Field(default_factory=utcnow, index=True, sa_type=UTCDateTime)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=Text)  # sa_column cannot be shared
    claimed_by: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    detail: str | None = None  # the receiver's answer on success (SMTP reply, HTTP status)


class Push(Deliverable, table=True):
    """One message to one firm on one channel about one policy version (the outbox row)."""

    __table_args__ = (UniqueConstraint("firm_id", "policy_id", "version", "channel", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    policy_id: int = Field(foreign_key="policy.id", index=True)
    version: int  # the policy version; for an application notice, the move's id (one per move)
    kind: PushKind = PushKind.NEW
    title: str = ""
    doc_number: str | None = None
    department_id: int | None = Field(default=None, index=True)
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    changes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    themes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    told_amount: bool = False  # its lines name an amount the firm can expect (a guide's estimate)
    successor_id: int | None = None
    successor_title: str | None = None
    deadline: date | None = None
    digest_slot: datetime | None = Field(default=None, index=True, sa_type=UTCDateTime)  # set: goes out in a digest
    digest_id: int | None = Field(default=None, foreign_key="digest.id", index=True)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    clicked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    request_id: str | None = Field(default=None, max_length=64)  # the HTTP request that caused it


class Digest(Deliverable, table=True):
    """One message batching a firm's pushes on one channel for one daily or weekly slot."""

    __table_args__ = (UniqueConstraint("firm_id", "channel", "slot"),)

    id: int | None = Field(default=None, primary_key=True)
    slot: datetime = Field(sa_type=UTCDateTime)  # when the period's digest goes out (UTC)
    period: Frequency = Frequency.DAILY


class Subscription(SQLModel, table=True):
    """A firm's push preferences and its webhook secret (created on first use)."""

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id", unique=True, index=True)
    active: bool = True  # False: unsubscribed from everything
    themes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    muted_themes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    channels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    frequency: Frequency = Frequency.IMMEDIATE
    quiet_start: str | None = Field(default=None, max_length=5)  # "22:00", Asia/Shanghai
    quiet_end: str | None = Field(default=None, max_length=5)  # "08:00"
    webhook_secret: str | None = Field(default=None, max_length=100)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InboxMessage(SQLModel, table=True):
    """A 站内信 shown on the firm page; ``key`` makes delivery idempotent."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True, max_length=200)
    firm_id: int = Field(foreign_key="firm.id", index=True)
    subject: str
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    push_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Mark(StrEnum):
    """What a firm says about a policy it was told about."""

    APPLIED = "applied"  # 已申报
    NOT_APPLICABLE = "not_applicable"  # 不适用


MARK_LABELS = {Mark.APPLIED: "已申报", Mark.NOT_APPLICABLE: "不适用"}


class FirmPolicyMark(SQLModel, table=True):
    """A firm's 已申报 / 不适用 mark on a policy; stops its deadline reminders."""

    __table_args__ = (UniqueConstraint("firm_id", "policy_id"),)

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id", index=True)
    policy_id: int = Field(foreign_key="policy.id", index=True)
    mark: Mark
    marked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ChannelState(SQLModel, table=True):
    """A firm's channel health: consecutive failures and suspension (re-enable via CLI)."""

    __table_args__ = (UniqueConstraint("firm_id", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id", index=True)
    channel: str = Field(max_length=20)
    consecutive_failures: int = 0
    suspended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    suspended_reason: str | None = Field(default=None, sa_column=Column(Text))
