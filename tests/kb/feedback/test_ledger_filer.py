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
