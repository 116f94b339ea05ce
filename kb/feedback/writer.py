"""The public channels' question log, written in batches off the request path.

A question on the widget or the API is numbered at once (the reply carries its id, for feedback)
from a block of ids this process reserved (kb.database.ids), and its row is written with the
others of the next ``FLUSH_S`` in one transaction by a background thread. On SQLite the write lock
is then taken once per batch, not once per question. ``close`` writes what is left: a clean
shutdown loses nothing. A reader in this process calls ``flush`` first to see its own questions;
another process's questions appear within ``FLUSH_S``.
"""

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import select

from kb.database.db import read_scope, session_scope
from kb.database.ids import issued, reserve
from kb.feedback.models import QuestionLog
from kb.feedback.questions import question_values
from kb.search.answers import AnswerResult

log = logging.getLogger("policykb")

Written = Callable[[list[dict]], None]


class QuestionWriter:
    """Numbers questions now and writes them in batches from a background thread."""

    FLUSH_S = 0.25  # how long a batch gathers questions
    BLOCK = 256  # ids reserved per write
    RETRY_S = 1.0  # after a failed batch (database away), try again this much later
    MAX_PENDING = 100_000  # beyond this, a database that stays away costs the oldest lines

    def __init__(self, engine: Engine, *, salt: bytes = b"", on_written: Written | None = None,
                 flush_s: float | None = None) -> None:
        self.engine, self.salt, self.on_written = engine, salt, on_written
        self.flush_s = self.FLUSH_S if flush_s is None else flush_s
        self._pending: list[dict] = []
        self._ids: range = range(0)
        self._lock = threading.Lock()  # the buffer and the id block
        self._writing = threading.Lock()  # one batch at a time, in id order
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="policykb-questions", daemon=True)
        self._thread.start()

    def log(self, *, question: str, result: AnswerResult, channel: str, client: str,
            request_id: str | None = None) -> int:
        """Number a question and queue its row; returns its id."""
        values = question_values(question=question, result=result, channel=channel,
                                 client=client, salt=self.salt, request_id=request_id)
        with self._lock:
            if not self._ids:
                # One short write per block; under the buffer lock, so ids stay in order.
                with session_scope(self.engine) as session:
                    self._ids = reserve(session, QuestionLog, self.BLOCK)
            values["id"], self._ids = self._ids[0], self._ids[1:]
            self._pending.append(values)
        self._wake.set()
        return values["id"]

    def flush(self) -> None:
        """Write every question logged so far in this process (returns once committed)."""
        self._write()

    def wait_for(self, question_id: int, timeout_s: float = 2.0) -> bool:
        """Whether ``question_id`` is written, waiting while it is numbered but not yet written
        (by this process or another); False at once for an id never handed out."""
        self.flush()
        deadline = time.monotonic() + timeout_s
        while True:
            with read_scope(self.engine) as session:
                if session.exec(select(QuestionLog.id).where(QuestionLog.id == question_id)).first():
                    return True
                if not issued(session, QuestionLog, question_id) or time.monotonic() > deadline:
                    return False
            time.sleep(0.02)

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        self._closing.set()
        self._wake.set()
        self._thread.join()
        self._write()

    def _run(self) -> None:
        while not self._closing.is_set():
            self._wake.wait()
            self._closing.wait(self.flush_s)  # gather a batch (cut short by close)
            self._wake.clear()
            if not self._write():
                self._wake.set()  # the rows are still pending
                self._closing.wait(self.RETRY_S)

    def _write(self) -> bool:
        """Write the pending rows in one transaction; False (rows kept) when it failed."""
        with self._writing:
            with self._lock:
                rows, self._pending = self._pending, []
            if not rows:
                return True
            try:
                with session_scope(self.engine) as session:
                    session.execute(insert(QuestionLog), rows)
            except Exception:
                log.exception("writing %d logged questions failed; retrying", len(rows))
                with self._lock:
                    self._pending[:0] = rows[-self.MAX_PENDING:]
                    del self._pending[self.MAX_PENDING:]
                return False
            if self.on_written is not None:
                try:
                    self.on_written(rows)
                except Exception:  # the rows are safe; what follows them must not undo that
                    log.exception("after writing %d logged questions", len(rows))
            return True
