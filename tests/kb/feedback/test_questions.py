"""The question log: logging, feedback, hot questions of a county day, unanswered questions."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from kb.database.db import session_scope
from kb.errors import InvalidInput, NotFound
from kb.feedback.models import QuestionLog
from kb.feedback.questions import (
    client_hash,
    hot_questions,
    log_question,
    normalise_question,
    recent_unanswered,
    record_feedback,
)
from kb.search.answers import AnswerResult, ask
from kb.search.service import Searcher

NOON = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)  # 12:00 in the county


def unanswered(question: str) -> AnswerResult:
    return AnswerResult(query=question, answer=None, confidence=0.1, hits=[])


@pytest.fixture
def session(engine):
    with session_scope(engine) as s:
        yield s


def test_logs_the_answer_without_the_client_address(demo_engine, settings):
    result = ask(searcher=Searcher(demo_engine, settings), question="首次认定高新技术企业县里奖励多少",
                 threshold=settings.answer_threshold)
    with session_scope(demo_engine) as session:
        row = log_question(session=session, question="首次认定高新技术企业县里奖励多少", result=result,
                           channel="widget", client="10.1.2.3", now=NOON)
        rid = row.id
    with Session(demo_engine) as session:
        row = session.get(QuestionLog, rid)
    assert row.answer_type == result.answer_type != "none"
    assert row.policy_id == result.answer["policy_id"] and row.passage_id == result.answer["passage_id"]
    assert row.hits == [h.passage_id for h in result.hits] and row.confidence == result.confidence
    assert row.client_hash == client_hash(client="10.1.2.3", day=date(2026, 11, 26))
    assert "10.1.2.3" not in row.client_hash


def test_client_hash_changes_with_the_day_and_the_salt():
    a = client_hash(client="10.1.2.3", day=date(2026, 11, 26))
    assert a != client_hash(client="10.1.2.3", day=date(2026, 11, 27))
    assert a != client_hash(client="10.1.2.3", day=date(2026, 11, 26), salt=b"k")
    assert a != client_hash(client="10.1.2.4", day=date(2026, 11, 26))


def test_unknown_channel_is_refused(session):
    with pytest.raises(InvalidInput, match="sms"):
        log_question(session=session, question="q", result=unanswered("q"), channel="sms", client="x")


def test_typing_out_a_question_updates_one_row_only_when_asked_to(session):
    for q in ("高企", "高企奖励", "高企奖励多少"):
        log_question(session=session, question=q, result=unanswered(q), channel="agent",
                     client="10.0.0.1", refine_within_s=30, now=NOON)
    log_question(session=session, question="高企奖励多少", result=unanswered("x"), channel="agent",
                 client="10.0.0.2", refine_within_s=30, now=NOON)  # another agent
    for q in ("贴息", "贴息比例"):
        log_question(session=session, question=q, result=unanswered(q), channel="widget",
                     client="10.0.0.1", now=NOON)
    later = NOON + timedelta(minutes=5)
    log_question(session=session, question="高企奖励多少钱", result=unanswered("x"), channel="agent",
                 client="10.0.0.1", refine_within_s=30, now=later)  # too late to be the same question
    rows = session.exec(select(QuestionLog).order_by(QuestionLog.id)).all()
    assert [(r.question, r.channel) for r in rows] == [
        ("高企奖励多少", "agent"), ("高企奖励多少", "agent"), ("贴息", "widget"),
        ("贴息比例", "widget"), ("高企奖励多少钱", "agent")]


def test_feedback(session):
    row = log_question(session=session, question="q", result=unanswered("q"), channel="api", client="x")
    fb = record_feedback(session=session, question_id=row.id, helpful=False, reason="  没用  ")
    assert fb.id and fb.reason == "没用"
    assert record_feedback(session=session, question_id=row.id, helpful=True, reason="").reason is None
    with pytest.raises(NotFound, match="4242"):
        record_feedback(session=session, question_id=4242, helpful=True)
    with pytest.raises(InvalidInput, match="500"):
        record_feedback(session=session, question_id=row.id, helpful=False, reason="长" * 501)
    assert record_feedback(session=session, question_id=row.id, helpful=False, reason="长" * 500)


def test_hot_questions_group_identical_questions_of_the_county_day(session):
    asked = [("高企认定奖励多少？", NOON), ("高企认定奖励多少", NOON), ("高企认定 奖励多少?", NOON),
             ("贴息比例", NOON), ("贴息比例", NOON), ("外贸补贴", NOON),
             # 23:30 UTC the day before is 07:30 on the 26th in the county: counts.
             ("外贸补贴", datetime(2026, 11, 25, 23, 30, tzinfo=UTC)),
             ("外贸补贴", datetime(2026, 11, 25, 23, 30, tzinfo=UTC)),
             # 16:30 UTC on the 26th is already the 27th in the county: does not count.
             ("贴息比例", datetime(2026, 11, 26, 16, 30, tzinfo=UTC))]
    for i, (q, when) in enumerate(asked):
        log_question(session=session, question=q, result=unanswered(q), channel="widget",
                     client=f"c{i}", now=when)
    hot = hot_questions(session=session, day=date(2026, 11, 26))
    assert hot[0][1] == 3 and normalise_question(hot[0][0]) in {"高企认定奖励多少", "外贸补贴"}
    assert sorted(n for _, n in hot) == [2, 3, 3]
    assert ("贴息比例", 2) in hot
    assert hot_questions(session=session, day=date(2026, 11, 26), limit=1) == hot[:1]
    assert hot_questions(session=session, day=date(2026, 11, 24)) == []


def test_recent_unanswered_lists_no_answer_and_unhelpful_once_each(session):
    answered = AnswerResult(query="a", answer={"policy_id": None, "passage_id": None}, confidence=0.9,
                            hits=[], answer_type="passage")
    times = iter(NOON + timedelta(minutes=i) for i in range(10))
    log_question(session=session, question="养猪场环评", result=unanswered("养猪场环评"),
                 channel="widget", client="c", now=next(times))
    ok = log_question(session=session, question="贴息比例", result=answered, channel="widget",
                      client="c", now=next(times))
    bad = log_question(session=session, question="高企奖励", result=answered, channel="widget",
                       client="c", now=next(times))
    log_question(session=session, question="养猪场环评？", result=unanswered("养猪场环评？"),
                 channel="agent", client="c", now=next(times))
    record_feedback(session=session, question_id=ok.id, helpful=True)
    record_feedback(session=session, question_id=bad.id, helpful=False, reason="金额不对")
    rows = recent_unanswered(session=session)
    assert [r.question for r in rows] == ["养猪场环评？", "高企奖励"]
    assert [r.question for r in recent_unanswered(session=session, limit=1)] == ["养猪场环评？"]


def test_one_asker_repeating_a_text_never_makes_it_hot(session):
    for _ in range(5):
        log_question(session=session, question="请拨打 400-000 领取补贴", result=unanswered("q"),
                     channel="api", client="203.0.113.9", now=NOON)
    log_question(session=session, question="贴息比例", result=unanswered("q"), channel="api",
                 client="a", now=NOON)
    log_question(session=session, question="贴息比例", result=unanswered("q"), channel="api",
                 client="b", now=NOON)
    assert hot_questions(session=session, day=date(2026, 11, 26)) == [("贴息比例", 2)]


def test_repeated_feedback_on_one_question_keeps_one_row(session):
    from kb.feedback.models import Feedback

    row = log_question(session=session, question="q", result=unanswered("q"), channel="api",
                       client="x")
    for i in range(5):
        record_feedback(session=session, question_id=row.id, helpful=bool(i % 2), reason=f"r{i}")
    rows = session.exec(select(Feedback)).all()
    assert len(rows) == 1 and rows[0].reason == "r4" and rows[0].helpful is False
