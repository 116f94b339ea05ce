"""The question log: what people asked, what they were told, and whether it helped."""

import hashlib
import re
from collections import Counter
from datetime import date, datetime, timedelta

from sqlalchemy import exists
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from kb import clock
from kb.clock import county_day, county_day_bounds
from kb.database.db import get_or_missing
from kb.database.ids import reserve
from kb.errors import InvalidInput
from kb.feedback.models import Feedback, QuestionLog
from kb.search.answers import AnswerResult, without_controls
from kb.search.text.tokenize import normalize

CHANNELS = ("widget", "agent", "api")
MAX_REASON_CHARS = 500
_NOISE = re.compile(r"[\s?？!！。.,，、~～…]+")


def normalise_question(question: str) -> str:
    """The form identical questions share: NFKC, lower case, no spaces or punctuation."""
    return _NOISE.sub("", normalize(question))


def client_hash(*, client: str, day: date, salt: bytes = b"") -> str:
    """sha256 of the client address and the day: counts askers without keeping an address."""
    return hashlib.sha256(salt + f"|{client}|{day.isoformat()}".encode()).hexdigest()


def _is_refinement(old: str, new: str) -> bool:
    return bool(old) and bool(new) and (new.startswith(old) or old.startswith(new))


def question_values(*, question: str, result: AnswerResult, channel: str, client: str,
                    salt: bytes = b"", now: datetime | None = None,
                    request_id: str | None = None) -> dict:
    """A question log row's columns (all but its id and ledger topic), checked."""
    if channel not in CHANNELS:
        raise InvalidInput(f"channel：不支持“{channel}”（可选：{'、'.join(CHANNELS)}）")
    now = now or clock.now()
    answer = result.answer or {}
    return {"asked_at": now, "question": without_controls(question).strip(), "channel": channel,
            "client_hash": client_hash(client=client, day=county_day(now), salt=salt),
            "answer_type": result.answer_type, "confidence": float(result.confidence),
            "policy_id": answer.get("policy_id"), "passage_id": answer.get("passage_id"),
            "hits": [h.passage_id for h in result.hits], "request_id": request_id}


def log_question(*, session: Session, question: str, result: AnswerResult, channel: str,
                 client: str, salt: bytes = b"", refine_within_s: float | None = None,
                 now: datetime | None = None, request_id: str | None = None) -> QuestionLog:
    """Record a question and its answer now; with ``refine_within_s``, typing a question out
    updates one row. (The public channels log through ``QuestionWriter``, in batches.)"""
    values = question_values(question=question, result=result, channel=channel, client=client,
                             salt=salt, now=now, request_id=request_id)
    row = None
    if refine_within_s is not None:
        # Search-as-you-type sends 高, 高企, 高企奖励…: one question, not three, for the ledger.
        last = session.exec(
            select(QuestionLog)
            .where(QuestionLog.client_hash == values["client_hash"], QuestionLog.channel == channel,
                   QuestionLog.asked_at >= values["asked_at"] - timedelta(seconds=refine_within_s))
            .order_by(col(QuestionLog.id).desc()).limit(1)).first()
        if last is not None and _is_refinement(normalise_question(last.question),
                                               normalise_question(question)):
            has_feedback = session.exec(
                select(Feedback.id).where(Feedback.question_id == last.id)).first()
            row = None if has_feedback else last
    if row is None:
        # Every defaulted field given: SQLModel inspects a default factory's signature on each use.
        row = QuestionLog(id=reserve(session, QuestionLog)[0], **values)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.add(row)
    session.flush()
    return row


def record_feedback(*, session: Session, question_id: int, helpful: bool,
                    reason: str | None = None) -> Feedback:
    """Store whether the answer to a logged question helped."""
    get_or_missing(session, QuestionLog, question_id, f"没有编号为 {question_id} 的提问记录")
    reason = without_controls(reason or "").strip() or None
    if reason and len(reason) > MAX_REASON_CHARS:
        raise InvalidInput(f"reason：原因说明过长（{len(reason)} 字，最多 {MAX_REASON_CHARS} 字）")
    # One verdict per question: a repeat replaces it rather than piling up rows.
    fb = session.exec(select(Feedback).where(Feedback.question_id == question_id)
                      .order_by(col(Feedback.id))).first()
    if fb is None:
        fb = Feedback(question_id=question_id, helpful=helpful, reason=reason)
    else:  # the same verdict again without a reason keeps the reason given before
        fb.reason = reason if reason or fb.helpful != helpful else fb.reason
        fb.helpful = helpful
    session.add(fb)
    session.flush()
    return fb


HOT_MIN_ASKERS = 2  # one person repeating a text never puts it in front of the agents


def hot_questions(*, session: Session, day: date, limit: int = 10) -> list[tuple[str, int]]:
    """The most asked questions of a county day: identical normalised texts counted together,
    each asker once (by the day's client hash), and only texts at least two people asked."""
    start, end = county_day_bounds(day)
    rows = session.exec(select(QuestionLog.question, QuestionLog.client_hash).where(
        QuestionLog.asked_at >= start, QuestionLog.asked_at < end)).all()
    seen: set[tuple[str, str]] = set()
    texts = []
    for text, asker in rows:
        key = (normalise_question(text), asker)
        if key not in seen:
            seen.add(key)
            texts.append(text)
    return [(q, n) for q, n in top_questions(texts, limit * 5) if n >= HOT_MIN_ASKERS][:limit]


def asked_on(*, session: Session, day: date) -> int:
    """How many questions were logged on a county day (whoever asked them)."""
    start, end = county_day_bounds(day)
    return session.exec(select(func.count()).select_from(QuestionLog).where(
        QuestionLog.asked_at >= start, QuestionLog.asked_at < end)).one()


def top_questions(texts: list[str], limit: int) -> list[tuple[str, int]]:
    """The most frequent questions, identical normalised texts counted together."""
    counts: Counter[str] = Counter()
    shown: dict[str, Counter[str]] = {}
    for text in texts:
        key = normalise_question(text)
        if key:
            counts[key] += 1
            shown.setdefault(key, Counter())[text.strip()] += 1
    # Shown as people most often typed it; ties broken by text so the order is stable.
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [(shown[key].most_common(1)[0][0], n) for key, n in ranked]


UNANSWERED = ("none", "related")  # a related reply offers clauses but answers nothing


def recent_unanswered(*, session: Session, limit: int = 20) -> list[QuestionLog]:
    """Latest questions the product could not answer or whose answer was marked unhelpful."""
    unhelpful = exists().where(col(Feedback.question_id) == QuestionLog.id,
                               col(Feedback.helpful) == False)  # noqa: E712
    rows = session.exec(
        select(QuestionLog).where(col(QuestionLog.answer_type).in_(UNANSWERED) | unhelpful)
        .order_by(col(QuestionLog.asked_at).desc(), col(QuestionLog.id).desc())
        .limit(limit * 5)).all()
    out: list[QuestionLog] = []
    seen: set[str] = set()
    for row in rows:  # the same question asked again shows once, at its latest
        key = normalise_question(row.question)
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out[:limit]


class LedgerFiler:
    """Files logged questions into the ledger from a background thread, off the request path.

    The question itself is logged in the request (its id goes back to the asker); filing it
    compares it with every open topic, which grows with the ledger, so it is queued here.
    ``close`` files everything still queued (a clean shutdown loses nothing).

    Filing yields to the requests: in one process they share the interpreter's lock, so a
    question is filed once no question has come in for ``QUIET_S``, or after ``MAX_DELAY_S``
    whatever the load, with the others queued by then (up to ``BATCH``).
    """

    WAIT_S = 2.0  # how long a question id is retried while the request that logged it commits
    BATCH = 50  # questions filed together: the open topics read once, one write transaction
    QUIET_S = 0.05
    MAX_DELAY_S = 10.0

    def __init__(self, engine: Engine, due_days: int) -> None:
        import queue
        import threading

        from kb.feedback.ledger_matching import OpenTopics

        self.engine, self.due_days = engine, due_days
        self.topics = OpenTopics()  # only this thread files, so only it reads and keeps them
        self._queue: queue.Queue[tuple[int | None, float]] = queue.Queue()
        self._last_request = 0.0
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="policykb-ledger", daemon=True)
        self._thread.start()

    def note_request(self) -> None:
        """A question came in: filing waits until they pause."""
        import time

        self._last_request = time.monotonic()

    def submit(self, question_id: int) -> None:
        """File this logged question (when unanswered) soon."""
        import time

        self._queue.put((question_id, time.monotonic()))

    def submit_unanswered(self, rows: list[dict]) -> None:
        """File the written question rows that went unanswered (a QuestionWriter's callback).
        Agents' questions are partial searches: only their explicit 没帮助 reaches the ledger."""
        for row in rows:
            if row["answer_type"] in UNANSWERED and row["channel"] != "agent":
                self.submit(row["id"])

    def flush(self) -> None:
        """Wait until every question submitted so far is filed."""
        self._queue.join()

    def close(self) -> None:
        """File what is queued (without waiting for a pause), then stop the thread."""
        self._closing.set()
        self._queue.put((None, 0.0))
        self._thread.join()

    def _wait_for_a_pause(self, submitted: float) -> None:
        import time

        while not self._closing.is_set():
            now = time.monotonic()
            quiet_for = now - self._last_request
            if quiet_for >= self.QUIET_S or now - submitted >= self.MAX_DELAY_S:
                return
            self._closing.wait(self.QUIET_S - quiet_for)

    def _run(self) -> None:
        import queue

        while True:
            batch = [self._queue.get()]
            stopping = batch[0][0] is None
            if not stopping:
                self._wait_for_a_pause(batch[0][1])
                while len(batch) < self.BATCH:  # what queued meanwhile is filed with it
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                    if batch[-1][0] is None:
                        stopping = True
                        break
            try:
                self._file_all([qid for qid, _ in batch if qid is not None])
            finally:
                for _ in batch:
                    self._queue.task_done()
            if stopping:
                return

    def _file_all(self, ids: list[int]) -> None:
        """File these questions; one that fails is logged and does not stop the others."""
        import logging
        import time

        deadline = time.monotonic() + self.WAIT_S
        while ids:
            try:
                ids = self._file(ids)
            except Exception:
                if len(ids) == 1:
                    logging.getLogger("policykb").exception("filing question %s failed", ids[0])
                    return
                for qid in ids:
                    self._file_all([qid])
                return
            if ids and time.monotonic() >= deadline:
                return
            if ids:
                time.sleep(0.005)  # the transaction that logged them has not committed yet

    def _file(self, question_ids: list[int]) -> list[int]:
        """File the unanswered ones of these questions; returns the ids not found (yet)."""
        from kb.database.db import key, read_scope, session_scope
        from kb.feedback import ledger
        from kb.feedback.ledger_matching import plan_filings

        # Compared with every open topic in a read (SQLite's write lock, which the question log
        # needs, is held only for the short write after), the open topics read once a batch.
        with read_scope(self.engine) as session:
            rows = {r.id: r for r in session.exec(
                select(QuestionLog).where(col(QuestionLog.id).in_(question_ids))).all()}
            todo = sorted((r for r in rows.values()
                           if r.answer_type in UNANSWERED and r.topic_id is None),
                          key=key)
            plans = plan_filings(session=session, questions=todo, topics=self.topics)
        if todo:
            with session_scope(self.engine) as session:
                ledger.note_questions(session=session, question_ids=[key(r) for r in todo],
                                      plans=plans, due_days=self.due_days)
        return [qid for qid in question_ids if qid not in rows]
