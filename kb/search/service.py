"""The searcher every process holds: follows the database's index version, ranks, filters, groups.

Each process patches its indexes from the database when the index version moves, and merges their
segments in the background (kb/search/refresh.py: the change log, patching, compaction). So a
publish is searchable in every process within ``CHECK_EVERY_S`` plus the time to index the new
passages.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from functools import partial
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from kb import clock
from kb.clock import county_day
from kb.config import Settings
from kb.library.filters import Filters
from kb.library.index_state import current_version, database_identity
from kb.models import Passage, Policy, Status
from kb.search import refresh
from kb.search.answer_cache import AnswerCache
from kb.search.citations import Citations, Hit
from kb.search.dense.configured import load_configured_encoder
from kb.search.fusion import LEXICAL, FusionSetting, fuse
from kb.search.lexical import DocText, LexicalConfig, LexicalIndex
from kb.search.refresh import (
    Snapshot,
    columns,
    embed_text,
    embedded_texts,
    fetch,
    published,
    published_ids,
)
from kb.search.rows import VALIDITY_CODES, RowTable
from kb.search.store import read_folder, write_folder

if TYPE_CHECKING:
    from kb.search.answers import AnswerResult
    from kb.search.confidence import Model
    from kb.search.dense.encoder import Encoder
    from kb.search.dense.vector_cache import Progress
    from kb.search.semantic import SemanticChannel

__all__ = ["Hit", "Searcher", "VALIDITY_CODES", "embedded_texts", "load_configured_encoder"]

log = logging.getLogger("policykb")

# The version followed, the snapshot's generation and id, the setting's id, each dense channel's
# (index id, vectors, pending) and the county day.
AnswerState = tuple[int, int, int, int, tuple[tuple[int, int, int], ...], date]

FORMAT_VERSION = 3  # 3: term frequencies and lengths, statistics at query time
CANDIDATES = 200  # per channel, before fusion


@dataclass
class Candidates:
    """Each channel's best rows for a query, as rows of the snapshot they were read from."""

    lex_rows: np.ndarray
    lex_scores: np.ndarray
    dense_rows: np.ndarray
    dense_scores: np.ndarray
    snap: Snapshot


@dataclass
class Ranked:
    """Fused, validity-weighted rows, best first, with their snapshot."""

    rows: np.ndarray
    scores: np.ndarray
    snap: Snapshot
    cands: Candidates | None = None  # what they were fused from


def _tokenizer_fingerprint() -> str:
    data = resources.files("kb.search.text").joinpath("userdict.txt").read_bytes()
    return hashlib.sha256(data).hexdigest()[:16]


class Searcher:
    """Lexical (+ dense) search over published passages, following the database."""

    CHECK_EVERY_S = 0.1  # how often a process asks the database for the index version (a cheap read)
    DELTA_MIN = 2000  # segments are merged into a new base once the delta exceeds this ...
    DELTA_FRACTION = 0.1  # ... or this share of the base, whichever is larger ...
    MAX_SEGMENTS = 8  # ... or there are more segments than this (each costs a little per query)
    COMPACT_IN_BACKGROUND = True  # tests set False to merge at once

    def __init__(self, engine: Engine, settings: Settings, cfg: LexicalConfig | None = None, *,
                 encoder: Encoder | None = None, setting: FusionSetting | None = None,
                 background: bool = False, progress: Progress | None = None) -> None:
        """``background``: new passages are embedded by a worker thread (a served app), not
        before the refresh returns; ``progress(done, total)`` hears of long embeds (the CLI)."""
        self.engine = engine
        self.background = background
        self.progress = progress
        self.settings = settings
        self.cfg = cfg or LexicalConfig()
        # Replaced whole, never changed in place, so a search running while another thread
        # refreshes keeps a consistent view (searches do not take the lock).
        self.snap: Snapshot | None = None
        self.version = -1
        # When the version was last read; None means "read it on the next search". A number
        # like 0.0 would not do: a machine's monotonic clock reads seconds after boot.
        self._checked: float | None = None
        self._lock = threading.Lock()
        self._compactor: threading.Thread | None = None
        self._generation = 0
        self._encoder = encoder
        self._setting = setting
        self.dense: SemanticChannel | None = None  # over passages, when a model is loaded
        self.questions: SemanticChannel | None = None  # over FAQ questions
        self.setting = LEXICAL
        self._identity: str | None = None  # the database's, read when the indexes are opened
        self.citations = Citations(engine)  # read at this index version
        # kb.search.answers.ask keeps its answers here
        self.answers: AnswerCache[AnswerResult] = AnswerCache(settings.answer_cache)

    # --- following the database ----------------------------------------------------------

    @property
    def folder(self) -> Path:
        """Where the lexical base lives on disk."""
        return self.settings.index_dir / "lexical"

    @property
    def table(self) -> RowTable:
        """The current snapshot's rows."""
        return self.snap.table if self.snap else RowTable()

    @property
    def lexical(self) -> LexicalIndex | None:
        """The current snapshot's lexical index."""
        return self.snap.lexical if self.snap else None

    @property
    def identity(self) -> str:
        """The identity of the database the indexes belong to (an index of another is rebuilt)."""
        if self._identity is None:
            self._identity = database_identity(self.engine)
        return self._identity

    def _expect(self) -> dict[str, Any]:
        return {"format_version": FORMAT_VERSION, "tokenizer": _tokenizer_fingerprint(),
                "config": asdict(self.cfg), "database": self.identity}

    def answer_state(self) -> AnswerState:
        """What an answer depends on besides the question (kb/search/answer_cache.py): the
        version followed, the snapshot, the fusion setting, how far each dense channel has
        embedded, and the county day."""
        dense = tuple((id(c.index), len(c.index), c.pending)
                      for c in (self.dense, self.questions) if c is not None and c.index is not None)
        return (self.version, self._generation, id(self.snap), id(self.setting), dense,
                county_day(clock.now()))

    def changed(self) -> None:
        """This process just committed a change: the next search reads the database at once."""
        self._checked = None

    def ensure_fresh(self, *, force: bool = False) -> None:
        """Follow the database: patch the indexes when its version moved (``force``: rebuild)."""
        checked = self._checked
        if (not force and self.snap is not None and checked is not None
                and time.monotonic() - checked < self.CHECK_EVERY_S):
            return
        with self._lock:
            with Session(self.engine) as session:
                version = current_version(session=session)
                self._checked = time.monotonic()
                if not force and version == self.version and self.snap is not None:
                    return
                # Before the new snapshot is in: a hit read from here on is read anew.
                self.citations.forget()
                full = self.snap is None or force
                if full:
                    self._open(session, rebuild=force)
                self._sync(session, version, full=full)
                self.version = version
        self._maybe_compact()

    def _open(self, session: Session, *, rebuild: bool) -> None:
        """Load the lexical base from disk (or build it), and the dense channels."""
        loaded = None if rebuild else read_folder(self.folder, self._expect())
        self._generation += 1
        if loaded is not None:
            arrays = loaded[0]
            table = RowTable()
            table.append(arrays["passage_ids"], arrays["policy_ids"], arrays["faq"])
            self.snap = Snapshot(table, LexicalIndex.from_arrays(arrays, self.cfg),
                                 self._generation)
        else:
            self.snap = self._rebuild_base(session)
        self._open_dense(session, rebuild=rebuild)

    def _rebuild_base(self, session: Session) -> Snapshot:
        """Index every published passage anew and save it."""
        t0 = time.perf_counter()
        rows = list(session.exec(published(select(Passage, Policy.title))).all())
        index = LexicalIndex.build([DocText(title, p.heading, p.text) for p, title in rows],
                                   self.cfg)
        table = RowTable()
        table.append(*columns([p for p, _ in rows]))
        self._save(index, table, t0)
        return Snapshot(table, index, self._generation)

    def _save(self, index: LexicalIndex, table: RowTable, started: float) -> None:
        arrays = index.to_arrays() | {"passage_ids": table.passage_ids,
                                      "policy_ids": table.policy_ids, "faq": table.faq}
        write_folder(self.folder, arrays, self._expect() | {
            "count": len(table), "built_at": datetime.now(UTC).isoformat(),
            "build_seconds": round(time.perf_counter() - started, 2)})

    def _open_dense(self, session: Session, *, rebuild: bool) -> None:
        from kb.search.tuning import effective_setting

        encoder = self._encoder or load_configured_encoder(self.settings)
        model = encoder.name if encoder is not None else None
        self.setting = self._setting or effective_setting(
            home=self.settings.home, model=model, mode=self.settings.search_mode)
        if encoder is None:
            self.dense = self.questions = None
            return
        from kb.search.dense.vector_cache import VectorCache
        from kb.search.semantic import QueryVectors, SemanticChannel

        ids = published_ids(session)
        queries = QueryVectors(encoder)
        cache = VectorCache(self.settings.vector_cache_dir, encoder.name, encoder.dim)
        channel = partial(SemanticChannel, encoder, self.settings.index_dir, queries=queries,
                          database=self.identity, cache=cache, background=self.background,
                          progress=self.progress)
        self.dense = channel()
        self.dense.open(ids, self._texts, rebuild=rebuild)
        self.questions = channel(part="faq-questions")
        self.questions.open(published_ids(session, faq=True), self._questions, rebuild=rebuild)

    def wait_for_vectors(self, timeout: float | None = None) -> bool:
        """Block until passages queued for embedding have their vectors; False on timeout."""
        channels = [c for c in (self.dense, self.questions) if c is not None]
        return all(c.wait(timeout) for c in channels)

    def _sync(self, session: Session, version: int, *, full: bool) -> None:
        """Bring rows, lexical segments and dense vectors in step with the published passages.

        Only the policies the change log names are compared (all of them when it cannot say).
        """
        snap = self.snap
        assert snap is not None
        self.snap = refresh.sync(
            session, snap, since=None if full or self.version < 0 else self.version,
            version=version, cfg=self.cfg, dense=self.dense, questions=self.questions,
            texts=self._texts, question_texts=self._questions, themes=self._themes)

    def _needs_compaction(self, snap: Snapshot | None) -> bool:
        return snap is not None and refresh.needs_compaction(
            snap.lexical, delta_min=self.DELTA_MIN, delta_fraction=self.DELTA_FRACTION,
            max_segments=self.MAX_SEGMENTS)

    def _maybe_compact(self) -> None:
        """Merge the segments into a new base when they have grown, off the question path."""
        snap = self.snap
        if not self._needs_compaction(snap):
            return
        if self._compactor is not None and self._compactor.is_alive():
            return  # it merges what grew meanwhile too, before it ends
        if not self.COMPACT_IN_BACKGROUND:
            self._compact(snap)
            return
        self._compactor = threading.Thread(target=self._compact, args=(snap,),
                                           name="policykb-compact", daemon=True)
        self._compactor.start()

    def _compact(self, snap: Snapshot | None) -> None:
        """Merge ``snap``'s segments, swap the result in with whatever came after ``snap``, and
        go on while the segments published during a merge call for another."""
        while snap is not None:
            t0 = time.perf_counter()
            try:
                merged, kept = snap.lexical.compacted()
                with self._lock:
                    now = self.snap
                    if now is None or now.generation != snap.generation:
                        return  # rebuilt meanwhile: this merge is stale
                    self._generation += 1
                    self.snap = refresh.after_compaction(now, snap, merged, kept, self.cfg,
                                                         self._generation)
                self._save(merged, snap.table.compacted(kept, len(snap.table)), t0)
            except Exception:  # a failed merge costs speed only: the segments still answer
                log.exception("merging the lexical index segments failed")
                return
            snap = self.snap if self._needs_compaction(self.snap) else None

    def _texts(self, ids: np.ndarray) -> list[str]:
        with Session(self.engine) as session:
            found = {p.id: embed_text(t, p.heading, p.text) for p, t in fetch(session, ids)}
        return [found.get(int(i), "") for i in ids]

    def _themes(self) -> dict[int, set[str]]:
        with Session(self.engine) as session:
            rows = session.exec(select(Policy.id, Policy.themes)
                                .where(Policy.status == Status.PUBLISHED))
            # Stored policies all have an id.
            return cast("dict[int, set[str]]", {pid: set(themes or []) for pid, themes in rows})

    def _questions(self, ids: np.ndarray) -> list[str]:
        with Session(self.engine) as session:
            found = {p.id: p.heading for p, _ in fetch(session, ids)}
        return [found.get(int(i), "") for i in ids]

    # --- ranking -------------------------------------------------------------------------

    def candidates(self, query: str, *, filters: Filters | None = None,
                   limit: int = CANDIDATES) -> Candidates:
        """Each channel's best rows and scores (lexical scores, dense cosines), filtered."""
        self.ensure_fresh()
        snap = self.snap
        assert snap is not None
        mask = snap.table.mask(filters)
        lex_rows, lex_scores = _top(snap.lexical.scores(query), mask, limit)
        dense_rows, dense_scores = np.zeros(0, np.int64), np.zeros(0, np.float32)
        if self.dense is not None and self.setting.mode != "lexical" and mask.any():
            # Ask for more when filtering, so enough candidates survive the mask.
            want = limit if filters is None else min(len(snap.table), limit * 4)
            ids, cos = self.dense.search(query, want)
            rows = snap.table.rows_of(ids)
            ok = rows >= 0
            ok[ok] &= mask[rows[ok]]
            dense_rows, dense_scores = rows[ok][:limit], cos[ok][:limit]
        return Candidates(lex_rows, lex_scores, dense_rows, dense_scores, snap)

    def fused(self, c: Candidates, *, limit: int, setting: FusionSetting | None = None) -> Ranked:
        """Fuse candidates with ``setting`` (default: this searcher's), weight by validity, sort."""
        setting = setting or self.setting
        if self.dense is None and setting.mode != "lexical":
            setting = LEXICAL  # no model: lexical is all there is
        table = c.snap.table
        scores = fuse(len(table), c.lex_rows, c.lex_scores, c.dense_rows, c.dense_scores, setting)
        if setting.mode != "lexical" and self.dense is not None and self.dense.pending:
            # Passages still waiting for their vectors rank by their lexical score alone, so a
            # publish is never outranked for want of a vector it has not been given yet.
            waiting = table.rows_of(self.dense.pending_ids())
            waiting = np.intersect1d(waiting[waiting >= 0], c.lex_rows)
            if len(waiting):
                at = {int(r): i for i, r in enumerate(c.lex_rows)}
                scores[waiting] = c.lex_scores[[at[int(r)] for r in waiting]]
        rows = np.union1d(c.lex_rows, c.dense_rows).astype(np.int64)
        s = scores[rows] * table.factor[rows]
        order = np.argsort(-s, kind="stable")
        rows, s = rows[order], s[order]
        keep = s > 0
        return Ranked(rows[keep][:limit], s[keep][:limit], c.snap, c)

    def confidence_model(self) -> Model:
        """The answer-confidence model for how this searcher ranks (kb/search/confidence.py)."""
        from kb.search.confidence import shipped

        dense = self.dense if self.setting.mode != "lexical" else None
        return shipped(dense.encoder.name if dense is not None else None)

    def search(self, query: str, *, k: int = 5, per_policy: int = 2,
               filters: Filters | None = None) -> list[Hit]:
        """The best ``k`` passages, grouped by policy (at most ``per_policy`` each), best policy first."""
        ranked = self.fused(self.candidates(query, filters=filters), limit=max(50, k * 10))
        return self.group(ranked, k=k, per_policy=per_policy)

    def group(self, ranked: Ranked, *, k: int, per_policy: int,
              prefetch: list[int] | None = None) -> list[Hit]:
        """Hits for ranked rows, at most ``per_policy`` per policy, policies in order of best row.

        ``prefetch``: more passage ids whose citations the caller will read next (one database
        read for both).
        """
        table = ranked.snap.table
        groups: dict[int, list[int]] = {}
        for i, row in enumerate(ranked.rows):
            group = groups.setdefault(int(table.policy_ids[row]), [])
            if len(group) < per_policy:
                group.append(i)
        picked = [i for group in groups.values() for i in group][:k]
        ids = [int(table.passage_ids[ranked.rows[i]]) for i in picked]
        if prefetch:
            self.citations.rows(ids + prefetch)
        return self.hits(ids, [float(ranked.scores[i]) for i in picked])

    def hits(self, passage_ids: list[int], scores: list[float]) -> list[Hit]:
        """Hits with citations for passage ids (passages deleted meanwhile are skipped)."""
        return self.citations.hits(passage_ids, scores)

    def passage_headings(self, passage_ids: np.ndarray) -> dict[int, str]:
        """Headings (for FAQ passages: the question) of published passages, by passage id."""
        return self.citations.headings(passage_ids)

    def coverage(self, query: str, passage_id: int) -> float:
        """How much of the query's specific vocabulary a passage contains, in [0, 1]."""
        snap = self.snap
        assert snap is not None
        row = snap.table.row_of(passage_id)
        return 0.0 if row is None else snap.lexical.coverage(query, row)


def _top(scores: np.ndarray, mask: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``limit`` best rows with a score, best first (ties by row), by partial sort."""
    if limit <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    # Only rows above a cut that at least ``limit`` allowed rows reach can be among the best
    # ``limit`` (a cut at half the best score nearly always does), so the partial sort below
    # reads a few hundred rows, not every row with a score; ``scores`` is the snapshot's.
    best = float(scores.max()) if len(scores) else 0.0
    if best <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    for cut in (0.5 * best, 0.25 * best):
        found = np.flatnonzero((scores >= cut) & mask)
        if len(found) >= limit:
            break
    else:
        found = np.flatnonzero((scores > 0) & mask)
    if len(found) > limit:
        values = scores[found]
        kth = values[np.argpartition(-values, limit - 1)[limit - 1]]
        found = found[values >= kth]  # every row tied with the last one: ties by row
    top = found[np.lexsort((found, -scores[found]))][:limit]
    return top.astype(np.int64), scores[top].astype(np.float32)
