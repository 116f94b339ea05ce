"""The append-only audit log: who did what to which record, when, from which address."""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from kb.clock import county_day_bounds
from kb.staff.models import AuditEntry, User


@dataclass(frozen=True)
class Actor:
    """Who is acting and from where; scheduled jobs act as ``SYSTEM``."""

    user_id: int | None
    username: str
    name: str
    client: str = ""

    @classmethod
    def of(cls, user: User, client: str = "") -> "Actor":
        """The actor for a signed-in user at ``client``."""
        return cls(user.id, user.username, user.name, client)


SYSTEM = Actor(None, "system", "系统")


def record(*, session: Session, actor: Actor, action: str, record_kind: str = "",
           record_id: int | None = None, detail: dict | None = None) -> AuditEntry:
    """Append one entry; it commits or rolls back with the change it describes."""
    entry = AuditEntry(user_id=actor.user_id, actor=actor.username, action=action,
                       record_kind=record_kind, record_id=record_id, detail=detail or {},
                       client=actor.client)
    session.add(entry)
    session.flush()
    return entry


def entries(*, session: Session, actor: str | None = None, action: str | None = None,
            record_kind: str | None = None, record_id: int | None = None,
            since: date | None = None, until: date | None = None,
            limit: int = 200, before_id: int | None = None) -> list[AuditEntry]:
    """The newest entries first, optionally narrowed (``since`` / ``until``: county days, inclusive)."""
    stmt = select(AuditEntry)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= county_day_bounds(since)[0])
    if until is not None:
        stmt = stmt.where(AuditEntry.at < county_day_bounds(until)[1])
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if record_kind:
        stmt = stmt.where(AuditEntry.record_kind == record_kind)
    if record_id is not None:
        stmt = stmt.where(AuditEntry.record_id == record_id)
    if before_id is not None:
        stmt = stmt.where(col(AuditEntry.id) < before_id)
    return list(session.exec(stmt.order_by(col(AuditEntry.id).desc()).limit(limit)))
