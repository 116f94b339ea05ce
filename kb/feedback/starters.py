"""Starter questions for the question page: the published FAQ people ask about most."""

from sqlmodel import Session, col, func, select

from kb.feedback.models import QuestionLog
from kb.models import FaqItem, Passage, Policy, Status, Validity

STARTERS_MAX = 6


def starter_questions(*, session: Session, policy_id: int | None = None,
                      limit: int = STARTERS_MAX) -> list[str]:
    """Questions of published FAQ of valid published policies, most often answered first.

    "Answered" counts logged questions whose reply came from the FAQ's passage; FAQ nobody
    has asked yet follow, each policy's first FAQ before its second, so a new installation
    still has starters from several policies.
    """
    asked = (select(Passage.faq_id, func.count(col(QuestionLog.id)).label("n"))
             .join(QuestionLog, col(QuestionLog.passage_id) == col(Passage.id))
             .where(col(Passage.faq_id).is_not(None))
             .group_by(col(Passage.faq_id)).subquery())
    n = func.coalesce(asked.c.n, 0)
    stmt = (select(FaqItem.question)
            .join(Policy, col(Policy.id) == col(FaqItem.policy_id))
            .outerjoin(asked, asked.c.faq_id == col(FaqItem.id))
            .where(FaqItem.status == Status.PUBLISHED, Policy.status == Status.PUBLISHED,
                   Policy.validity == Validity.VALID)
            .order_by(n.desc(), col(FaqItem.ordinal), col(FaqItem.policy_id), col(FaqItem.id)))
    if policy_id is not None:
        stmt = stmt.where(FaqItem.policy_id == policy_id)
    out: list[str] = []
    for question in session.exec(stmt.limit(limit * 2)):
        if question not in out:
            out.append(question)
    return out[:limit]
