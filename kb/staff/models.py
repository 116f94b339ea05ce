"""Staff tables: accounts, sign-in sessions and attempts, and the append-only audit log."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from kb.database.types import UTCDateTime
from kb.models import utcnow

# --- Accounts ---------------------------------------------------------------------------


class Role(StrEnum):
    """What a staff user may do; a user holds one or more."""

    DRAFTER = "drafter"  # 拟稿人: drafts policies, interpretations and FAQ of their department
    REVIEWER = "reviewer"  # 审核人: approves or returns submitted drafts
    PUBLISHER = "publisher"  # 发布人: publishes approved drafts, withdraws, rolls back
    ADMIN = "admin"  # 管理员: accounts, ledger assignment, statistics, audit log
    AGENT = "agent"  # 坐席: the 12345 hotline console
    HANDLER = "handler"  # 经办人: takes and moves firms' policy applications of their department


ROLE_LABELS = {Role.DRAFTER: "拟稿人", Role.REVIEWER: "审核人", Role.PUBLISHER: "发布人",
               Role.ADMIN: "管理员", Role.AGENT: "坐席", Role.HANDLER: "经办人"}


class User(SQLModel, table=True):
    """A staff member of one department; ``name`` is what sign-offs show."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=64)
    name: str = Field(max_length=100)  # shown as 拟稿人 / 审核人 / 发布人
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    password_hash: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

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
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LoginAttempt(SQLModel, table=True):
    """One sign-in attempt, kept to throttle password guessing per account and per address."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, index=True)
    client: str = Field(default="", max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, index=True, sa_type=UTCDateTime)
    ok: bool = False


# --- Audit ------------------------------------------------------------------------------


class AuditEntry(SQLModel, table=True):
    """Who did what to which record, when, from where; rows are never updated or deleted."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    actor: str = Field(max_length=100)  # username, or "system" for scheduled jobs
    action: str = Field(max_length=40, index=True)
    record_kind: str = Field(default="", max_length=40)
    record_id: int | None = None
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    client: str = Field(default="", max_length=64)


# The database itself refuses to change history (UPDATE, DELETE, TRUNCATE raise an error): the
# guards are made by the baseline revision (kb/database/migrations/audit_guards.py), not here.
