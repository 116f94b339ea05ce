"""The batched question log: numbered at once, written in batches, nothing lost at shutdown."""

import threading
import time

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from kb.database.db import make_engine, session_scope
from kb.feedback.models import QuestionLog
from kb.feedback.questions import log_question
from kb.feedback.writer import QuestionWriter
from kb.search.answers import AnswerResult


def _result(q: str, answer_type: str = "none") -> AnswerResult:
    answer = {"policy_id": None, "passage_id": 7} if answer_type == "passage" else None
    return AnswerResult(query=q, answer=answer, confidence=0.9 if answer else 0.1, hits=[],
                        answer_type=answer_type)


def _count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(QuestionLog)).one()


def test_questions_are_numbered_at_once_and_written_together_later(engine):
    writer = QuestionWriter(engine, flush_s=60)  # nothing is written until asked to
    ids = [writer.log(question=f"问题{n}", result=_result(f"问题{n}"), channel="widget",
                      client="10.0.0.1") for n in range(5)]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert _count(engine) == 0
    writer.flush()
    with Session(engine) as session:
        rows = session.exec(select(QuestionLog).order_by(QuestionLog.id)).all()
    assert [r.id for r in rows] == ids
    assert [r.question for r in rows] == [f"问题{n}" for n in range(5)]
    assert rows[0].channel == "widget" and rows[0].answer_type == "none" and rows[0].client_hash
    writer.close()


def test_a_batch_is_written_within_the_flush_interval(engine):
    writer = QuestionWriter(engine, flush_s=0.05)
    qid = writer.log(question="高企奖励多少", result=_result("q", "passage"), channel="api",
                     client="10.0.0.2")
    deadline = time.monotonic() + 5
    while _count(engine) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    with Session(engine) as session:
        row = session.get(QuestionLog, qid)
    assert row is not None and row.answer_type == "passage" and row.passage_id == 7
    writer.close()


def test_a_clean_shutdown_writes_every_question_and_files_the_unanswered(engine):
    written: list[dict] = []
    writer = QuestionWriter(engine, flush_s=60, on_written=written.extend)
    for n in range(600):  # more than one block of ids
        writer.log(question=f"第{n}个问题", result=_result("q", "passage" if n % 2 else "none"),
                   channel="widget", client="10.0.0.3")
    writer.close()
    assert _count(engine) == 600
    assert len(written) == 600 and sum(r["answer_type"] == "none" for r in written) == 300


def test_two_workers_and_the_agent_console_never_share_an_id(engine, settings):
    other = make_engine(settings.db_url)  # a second worker process has its own engine
    first, second = QuestionWriter(engine, flush_s=0.01), QuestionWriter(other, flush_s=0.01)
    ids: list[int] = []
    lock = threading.Lock()

    def ask(writer: QuestionWriter, tag: str) -> None:
        for n in range(150):
            qid = writer.log(question=f"{tag}{n}", result=_result("q"), channel="api",
                             client="10.0.0.4")
            with lock:
                ids.append(qid)

    threads = [threading.Thread(target=ask, args=(w, t)) for w, t in ((first, "甲"), (second, "乙"))]
    for t in threads:
        t.start()
    for n in range(20):  # the agent console logs directly, in its own transaction
        with session_scope(engine) as session:
            ids.append(log_question(session=session, question=f"坐席{n}", result=_result("q"),
                                    channel="agent", client="10.0.0.5").id)
    for t in threads:
        t.join()
    first.close()
    second.close()
    other.dispose()
    assert len(set(ids)) == len(ids) == 320
    assert _count(engine) == 320


def test_feedback_can_wait_for_a_question_another_worker_has_not_written_yet(engine, settings):
    other = make_engine(settings.db_url)
    asking, answering = QuestionWriter(other, flush_s=0.3), QuestionWriter(engine, flush_s=60)
    qid = asking.log(question="刚问的问题", result=_result("q"), channel="widget", client="10.0.0.6")
    assert _count(engine) == 0
    assert answering.wait_for(qid, timeout_s=5)  # written by the other worker's next batch
    assert not answering.wait_for(qid + 10_000, timeout_s=5)  # never handed out: no wait
    asking.close()
    answering.close()
    other.dispose()


def test_a_batch_that_fails_is_kept_and_written_when_the_database_is_back(engine):
    writer = QuestionWriter(engine, flush_s=0.01)
    writer.RETRY_S = 0.05
    qids = [writer.log(question="之前的问题", result=_result("q"), channel="api", client="10.0.0.7")]
    writer.flush()  # (its block of ids is reserved before the table goes away)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE questionlog RENAME TO questionlog_away"))
    try:
        qids += [writer.log(question=f"数据库不在时的问题{n}", result=_result("q"), channel="api",
                            client="10.0.0.7") for n in range(3)]
        time.sleep(0.3)  # a few failed attempts
    finally:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE questionlog_away RENAME TO questionlog"))
    writer.close()
    with Session(engine) as session:
        assert sorted(session.exec(select(QuestionLog.id)).all()) == qids
