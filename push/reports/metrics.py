"""push's figures for monitoring (kb.operations.metrics, through the ``policykb.metrics`` entry point)."""

from datetime import date

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from kb.operations.metrics import Family
from push.applications.models import FINAL, ApplicationMove
from push.delivery.models import Digest, Push


def families(*, session: Session, today: date) -> list[Family]:
    """Messages by kind, status and channel; applications past the promise at their node."""
    messages = Family("policykb_push_messages", "Push messages and digests by status (pending and "
                      "held: the queue; delivered; dead: failed for good) and channel")
    for kind, model in (("push", Push), ("digest", Digest)):
        rows = session.exec(select(model.channel, model.status, func.count())
                            .group_by(model.channel, model.status)).all()
        messages.samples += [({"kind": kind, "status": str(status), "channel": channel}, float(n))
                             for channel, status, n in rows]
    return [messages, Family("policykb_applications_overdue", "Applications standing at a node "
                             "past its promised day", samples=[({}, float(_overdue(session, today)))])]


def _overdue(session: Session, today: date) -> int:
    last = (select(ApplicationMove.application_id, func.max(ApplicationMove.seq).label("seq"))
            .group_by(col(ApplicationMove.application_id)).subquery())
    return session.exec(
        select(func.count()).select_from(ApplicationMove)
        .join(last, and_(col(ApplicationMove.application_id) == last.c.application_id,
                         col(ApplicationMove.seq) == last.c.seq))
        .where(col(ApplicationMove.due) < today, col(ApplicationMove.node).not_in(FINAL))).one()
