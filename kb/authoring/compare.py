"""Revisions that can be compared with one another: drafts of the same record."""

from sqlmodel import Session, col, select

from kb.errors import InvalidInput
from kb.models import Revision


def comparable(*, session: Session, revision: Revision) -> list[Revision]:
    """Other revisions of the same record (or, for a new record, of the same kind on the same
    policy), newest first."""
    stmt = select(Revision).where(Revision.kind == revision.kind, Revision.id != revision.id,
                                  Revision.department_id == revision.department_id)
    if revision.record_id is not None:
        stmt = stmt.where(Revision.record_id == revision.record_id)
    else:
        stmt = stmt.where(Revision.policy_id == revision.policy_id)
    return list(session.exec(stmt.order_by(col(Revision.id).desc())))


def other_revision(*, session: Session, revision: Revision, other_id: int) -> Revision:
    """Revision ``other_id`` when it can be compared with ``revision``, else InvalidInput."""
    other = session.get(Revision, other_id)
    if other is None or other.id == revision.id or other.kind != revision.kind \
            or other.department_id != revision.department_id:
        raise InvalidInput(f"稿件 {other_id} 不能与稿件 {revision.id} 对比：应为同一部门同一类内容的另一份稿件")
    return other
