"""Questions filed into the ledger off the request path: a clean shutdown files every one."""

from collections import Counter

from sqlmodel import Session, select

from kb.database.db import session_scope
from kb.feedback import ledger, ledger_matching
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
    from kb.feedback.models import LedgerTopic

    first, second = _log(engine, "养宠物狗怎么办证"), _log(engine, "宠物狗办证在哪里办")
    with Session(engine) as session:  # planned while the ledger is empty: "open a new topic"
        plan = ledger_matching.plan_filing(session=session, question=session.get(QuestionLog, second))
    assert plan.topic_id is None
    with session_scope(engine) as session:  # meanwhile another worker files the first question
        ledger.note_question(session=session, question=session.get(QuestionLog, first), due_days=7)
    with session_scope(engine) as session:
        topic = ledger.note_question(session=session, question=session.get(QuestionLog, second),
                                     due_days=7, plan=plan)
    with Session(engine) as session:
        [only] = session.exec(select(LedgerTopic)).all()
    assert topic.id == only.id and only.question_count == 2


def test_the_filers_kept_topics_plan_as_a_fresh_read_does_through_joins_and_closes(engine):
    from kb.feedback.models import LedgerTopic, TopicStatus

    kept = ledger_matching.OpenTopics()
    asked = ["养宠物狗怎么办证", "宠物狗办证在哪里办", "冷库建设有补贴吗", "冷库建设补贴怎么申请",
             "离婚需要带哪些材料", "给宠物狗办证要什么材料", "冷库补贴申请材料有哪些", "离婚材料清单"]
    for n, text in enumerate(asked):
        qid = _log(engine, text)
        with Session(engine) as session:
            question = session.get(QuestionLog, qid)
            fresh = ledger_matching.plan_filing(session=session, question=question)
            from_memory = ledger_matching.plan_filing(session=session, question=question, topics=kept)
        assert from_memory == fresh, text
        with session_scope(engine) as session:
            ledger.note_question(session=session, question=session.get(QuestionLog, qid),
                                 due_days=7, plan=from_memory)
        if n == 3:  # a topic closed by staff drops out of what is kept
            with session_scope(engine) as session:
                first = session.exec(select(LedgerTopic).order_by(LedgerTopic.id)).first()
                first.status = TopicStatus.CLOSED
                session.add(first)
    with Session(engine) as session:
        counts = session.exec(select(LedgerTopic.question_count)).all()
    assert sorted(counts) != [1] * len(counts)  # some questions joined a topic
    with Session(engine) as session:
        kept.candidates(session)
        fresh = ledger_matching.candidates(session)
    assert +kept.df == sum((Counter(c.terms) for c in fresh), Counter())


def _filed(engine, qid: int) -> bool:
    with Session(engine) as session:
        return session.get(QuestionLog, qid).topic_id is not None


def _keep_asking(filer: LedgerFiler, seconds: float) -> None:
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        filer.note_request()
        time.sleep(0.005)


def test_filing_waits_while_questions_keep_coming_and_files_once_they_pause(engine):
    filer = LedgerFiler(engine, due_days=7)
    qid = _log(engine, "冷库建设有补贴吗")
    filer.note_request()
    filer.submit(qid)
    _keep_asking(filer, 0.4)
    assert not _filed(engine, qid)  # still busy answering: not filed yet
    filer.flush()
    assert _filed(engine, qid)
    filer.close()


def test_under_endless_questions_filing_waits_no_longer_than_its_limit(engine):
    filer = LedgerFiler(engine, due_days=7)
    filer.MAX_DELAY_S = 0.2
    qid = _log(engine, "冷库建设有补贴吗")
    filer.submit(qid)
    _keep_asking(filer, 1.0)
    assert _filed(engine, qid)
    filer.close()


def test_a_batch_files_as_one_by_one_would_repeats_joining_their_topic_at_once(engine):
    from kb.feedback.models import LedgerTopic

    asked = ["冷库建设有补贴吗", "养宠物狗怎么办证", "冷库建设有补贴吗", "冷库建设补贴怎么申请",
             "养宠物狗怎么办证", "冷库建设有补贴吗"]
    first = _log(engine, asked[0])
    filer = LedgerFiler(engine, due_days=7)
    filer.submit(first)
    filer.flush()  # a topic exists: the repeats below are planned into it at similarity 1
    ids = [_log(engine, text) for text in asked[1:]]
    for qid in ids:
        filer.submit(qid)
    filer.close()  # filed together, in one batch
    with Session(engine) as session:
        topics = {t.title: t for t in session.exec(select(LedgerTopic)).all()}
        filed = {q.id: q.topic_id for q in session.exec(select(QuestionLog)).all()}
    assert all(filed.values())
    cold = topics["冷库建设有补贴吗"]
    assert cold.question_count == 4  # two repeats, and the close question, joined it
    assert topics["养宠物狗怎么办证"].question_count == 2
    assert {filed[i] for i, t in zip([first, *ids], asked, strict=True) if t == asked[0]} == {cold.id}


def test_repeats_of_a_topic_closed_after_the_plan_open_a_new_one(engine):
    from kb.feedback.models import LedgerTopic, TopicStatus

    first, again = _log(engine, "冷库建设有补贴吗"), _log(engine, "冷库建设有补贴吗")
    with session_scope(engine) as session:
        old = ledger.note_question(session=session, question=session.get(QuestionLog, first),
                                   due_days=7)
    with Session(engine) as session:
        plans = ledger_matching.plan_filings(session=session,
                                             questions=[session.get(QuestionLog, again)])
    assert plans[0].topic_id == old.id and plans[0].score == 1.0
    with session_scope(engine) as session:  # staff close it before the batch is written
        topic = session.get(LedgerTopic, old.id)
        topic.status = TopicStatus.CLOSED
        session.add(topic)
    with session_scope(engine) as session:
        ledger.note_questions(session=session, question_ids=[again], plans=plans, due_days=7)
    with Session(engine) as session:
        new = session.get(QuestionLog, again).topic_id
        assert new not in (None, old.id)
        assert session.get(LedgerTopic, old.id).question_count == 1
