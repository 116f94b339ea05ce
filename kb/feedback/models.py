"""Feedback tables: the question log, what askers said of answers, and the unanswered-question ledger."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from kb.database.types import UTCDateTime
from kb.models import utcnow


class QuestionLog(SQLModel, table=True):
    """One question asked (widget, agent console, API) and what the product answered."""

    id: int | None = Field(default=None, primary_key=True)
    asked_at: datetime = Field(default_factory=utcnow, index=True, sa_type=UTCDateTime)
    question: str = Field(sa_column=Column(Text, nullable=False))
    channel: str = Field(default="api", max_length=20, index=True)  # "widget" | "agent" | "api"
    # sha256 of client address + day: counts distinct askers per day without keeping the address.
    client_hash: str = Field(default="", max_length=64)
    answer_type: str = Field(default="none", max_length=10, index=True)  # "faq" | "passage" | "related" | "none"
    confidence: float = 0.0
    policy_id: int | None = Field(default=None, foreign_key="policy.id")
    passage_id: int | None = None  # no FK: passages are rebuilt on re-ingestion, the log stays
    hits: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    topic_id: int | None = Field(default=None, index=True)  # its unanswered-question ledger topic
    request_id: str | None = Field(default=None, max_length=64)  # the HTTP request that asked it


class Feedback(SQLModel, table=True):
    """Whether an answer helped, as the asker said."""

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="questionlog.id", index=True)
    helpful: bool
    reason: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


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
    # How the department was chosen: "policy" (the matched policy's), "keyword", "manual", None.
    routed_by: str | None = Field(default=None, max_length=10)
    due_date: date | None = None
    status: TopicStatus = Field(default=TopicStatus.OPEN, index=True)
    answer_kind: str | None = Field(default=None, max_length=20)  # "faq" | "interpretation"
    answer_id: int | None = None  # FaqItem.id or Interpretation.id
    answer_policy_id: int | None = Field(default=None, foreign_key="policy.id")
    question_count: int = 0
    note: str | None = Field(default=None, sa_column=Column(Text))
    first_asked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_asked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
