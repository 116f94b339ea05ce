"""Questions filed into the ledger off the request path: a clean shutdown files every one."""

from sqlmodel import Session, select

from kb.database.db import session_scope
from kb.feedback.models import QuestionLog
from kb.feedback.questions import LedgerFiler, log_question
from kb.search.answers import AnswerResult


def test_closing_the_filer_files_every_queued_question(engine):
    filer = LedgerFiler(engine, due_days=7)
    ids = []
    for n in range(30):
        with session_scope(engine) as session:
            result = AnswerResult(query=f"问题{n}", answer=None, confidence=0.0, hits=[])
            row = log_question(session=session, question=f"第{n}个没有答案的问题：冷库建设补贴{n}",
                               result=result, channel="api", client="127.0.0.1")
            ids.append(row.id)
        filer.submit(row.id)
    filer.close()
    with Session(engine) as session:
        rows = session.exec(select(QuestionLog).where(QuestionLog.id.in_(ids))).all()
    assert len(rows) == 30 and all(r.topic_id is not None for r in rows)


def test_a_question_submitted_before_its_request_commits_is_still_filed(engine):
    filer = LedgerFiler(engine, due_days=7)
    with session_scope(engine) as session:
        result = AnswerResult(query="q", answer=None, confidence=0.0, hits=[])
        row = log_question(session=session, question="还没提交的问题", result=result, channel="api",
                           client="127.0.0.1")
        filer.submit(row.id)  # the filer waits for this transaction's commit
    filer.flush()
    filer.close()
    with Session(engine) as session:
        assert session.get(QuestionLog, row.id).topic_id is not None


def _log(engine, text: str) -> int:
    with session_scope(engine) as session:
        result = AnswerResult(query=text, answer=None, confidence=0.0, hits=[])
        return log_question(session=session, question=text, result=result, channel="api",
                            client="127.0.0.1").id


def test_a_topic_opened_after_the_plan_is_joined_not_duplicated(engine):
    from kb.feedback import ledger
    from kb.feedback.models import LedgerTopic

    first, second = _log(engine, "养宠物狗怎么办证"), _log(engine, "宠物狗办证在哪里办")
    with Session(engine) as session:  # planned while the ledger is empty: "open a new topic"
        plan = ledger.plan_filing(session=session, question=session.get(QuestionLog, second))
    assert plan.topic_id is None
    with session_scope(engine) as session:  # meanwhile another worker files the first question
        ledger.note_question(session=session, question=session.get(QuestionLog, first), due_days=7)
    with session_scope(engine) as session:
        topic = ledger.note_question(session=session, question=session.get(QuestionLog, second),
                                     due_days=7, plan=plan)
    with Session(engine) as session:
        [only] = session.exec(select(LedgerTopic)).all()
    assert topic.id == only.id and only.question_count == 2
