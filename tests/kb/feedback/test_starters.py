"""Starter questions: the published FAQ asked about most, from valid published policies."""

from sqlmodel import select

from kb.database.db import read_scope, session_scope
from kb.feedback.models import QuestionLog
from kb.feedback.starters import starter_questions
from kb.models import FaqItem, Passage, Policy, Status, Validity


def test_most_asked_faq_comes_first_and_invalid_policies_are_left_out(demo_engine):
    with session_scope(demo_engine) as session:
        valid_ids = {p.id for p in session.exec(select(Policy).where(
            Policy.validity == Validity.VALID, Policy.status == Status.PUBLISHED))}
        faqs = session.exec(select(FaqItem).order_by(FaqItem.id)).all()
        asked = [f for f in faqs if f.policy_id in valid_ids][-1]  # the last one, never first by order
        passage = session.exec(select(Passage).where(Passage.faq_id == asked.id)).first()
        for _ in range(3):
            session.add(QuestionLog(question=asked.question, answer_type="faq",
                                    passage_id=passage.id, policy_id=asked.policy_id))
    with read_scope(demo_engine) as session:
        starters = starter_questions(session=session)
        by_question = {f.question: f for f in faqs}
        scoped = starter_questions(session=session, policy_id=faqs[0].policy_id, limit=50)
    assert starters[0] == asked.question
    assert 1 < len(starters) <= 6 and len(set(starters)) == len(starters)
    assert all(by_question[q].policy_id in valid_ids for q in starters)
    assert len({by_question[q].policy_id for q in starters}) > 1  # several policies, not one
    assert {by_question[q].policy_id for q in scoped} <= {faqs[0].policy_id}
