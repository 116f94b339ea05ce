"""Whether a serving process is ready: its database answers at the code's schema revision, its
search index is loaded and follows the database, and new passages get their vectors.

A probe never does the work it checks: when the index is behind, the probe starts the searcher
following the database in a thread and reports how long this process has seen it behind, so a
load balancer's short probe timeout is never spent on a rebuild, and a process whose index stays
behind (a rebuild, a broken index) is reported, by name, until it catches up.
"""

import threading
import time
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from kb.database import schema
from kb.database.db import read_scope
from kb.library.index_state import current_version
from kb.search.semantic import SemanticChannel
from kb.search.service import Searcher


class Readiness:
    """Checks for ``/readyz``; one per process, shared by its requests."""

    def __init__(self, engine: Engine, searcher: Searcher, *, max_lag_s: float,
                 max_dense_lag_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.engine, self.searcher = engine, searcher
        self.max_lag_s, self.max_dense_lag_s = max_lag_s, max_dense_lag_s
        self.clock = clock
        self._since: dict[str, float] = {}  # what is behind, and since when (this process saw)
        self._following: threading.Thread | None = None
        self._error: str | None = None  # the last failure to follow the database
        self._lock = threading.Lock()

    def check(self) -> dict:
        """``{"ready": bool, "checks": {name: {"ok": bool, ...}}}``; a check that fails says why."""
        checks: dict[str, dict] = {}
        try:
            revision = schema.current(self.engine)
            with read_scope(self.engine) as session:
                version = current_version(session=session)
        except SQLAlchemyError as exc:
            checks["database"] = {"ok": False, "error": _first_line(exc)}
            return {"ready": False, "checks": checks}
        checks["database"] = {"ok": True}
        checks["schema"] = {"ok": revision == schema.head(), "revision": revision,
                            "expected": schema.head()}
        if not checks["schema"]["ok"]:
            checks["schema"]["error"] = (f"the database is at revision {revision}, this code "
                                         f"needs {schema.head()}")
        checks["index"] = self._index(version)
        if self.searcher.dense is not None:
            checks["dense"] = self._dense(self.searcher.dense)
        return {"ready": all(c["ok"] for c in checks.values()), "checks": checks}

    def _index(self, version: int) -> dict:
        loaded = self.searcher.snap is not None
        behind = not loaded or self.searcher.version < version
        lag = self._lag("index", behind)
        if behind:
            self._follow()
        out: dict[str, object] = {
            "ok": loaded and lag <= self.max_lag_s, "version": self.searcher.version,
            "database_version": version, "behind_s": round(lag, 1)}
        if not loaded:
            out["error"] = "the search index is not loaded yet"
        elif not out["ok"]:
            out["error"] = (f"the search index has been behind the database for {lag:.0f} s "
                            f"(at version {self.searcher.version}, the database at {version})")
        if self._error:
            out["last_failure"] = self._error
        return out

    def _dense(self, dense: SemanticChannel) -> dict:
        waiting = sum(c.pending for c in (dense, self.searcher.questions) if c is not None)
        lag = self._lag("dense", waiting > 0)
        out: dict[str, object] = {"ok": lag <= self.max_dense_lag_s, "model": dense.encoder.name,
                                  "waiting": waiting, "behind_s": round(lag, 1)}
        if not out["ok"]:
            out["error"] = (f"{waiting} passages have waited {lag:.0f} s for their vectors "
                            "(they are found by words meanwhile)")
        return out

    def _lag(self, what: str, behind: bool) -> float:
        """How long ``what`` has been behind, as this process saw it (0 when it is not)."""
        now = self.clock()
        with self._lock:
            if not behind:
                self._since.pop(what, None)
                return 0.0
            return now - self._since.setdefault(what, now)

    def _follow(self) -> None:
        """Let the searcher catch up, off the probe's path (one at a time)."""
        with self._lock:
            if self._following is not None and self._following.is_alive():
                return
            self._following = threading.Thread(target=self._run_follow, daemon=True,
                                               name="policykb-readiness-follow")
            self._following.start()

    def _run_follow(self) -> None:
        try:
            self.searcher.ensure_fresh()
            self._error = None
        except Exception as exc:  # noqa: BLE001 (reported by the next probe, never raised here)
            self._error = _first_line(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"
