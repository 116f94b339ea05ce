"""The searcher every process holds: follows the database's index version, ranks, filters, groups."""

import hashlib
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import resources

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from kb.config import Settings
from kb.index_state import current_version
from kb.models import Passage, Policy, Status, Validity
from kb.search.lexical import DocText, LexicalConfig, LexicalIndex
from kb.search.store import read_folder, write_folder

FORMAT_VERSION = 1
# Passages of policies that no longer apply stay findable (people ask about them) but rank lower.
VALIDITY_FACTOR = {Validity.VALID: 1.0, Validity.REVISED: 0.8, Validity.EXPIRED: 0.75,
                   Validity.REPEALED: 0.7}
VALIDITY_CODES = list(Validity)
_FACTORS = np.asarray([VALIDITY_FACTOR[v] for v in VALIDITY_CODES], dtype=np.float32)


@dataclass
class Filters:
    """Restrictions on what a search may return."""

    validity: list[str] = field(default_factory=list)
    department_ids: list[int] = field(default_factory=list)
    theme: str | None = None
    policy_ids: list[int] = field(default_factory=list)


@dataclass
class Hit:
    """One ranked passage with its citation."""

    passage_id: int
    policy_id: int
    title: str
    doc_number: str | None
    section: str
    heading: str
    kind: str
    text: str
    score: float
    validity: str
    superseded_by: dict | None = None
    meta: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


def _tokenizer_fingerprint() -> str:
    data = resources.files("kb.text").joinpath("userdict.txt").read_bytes()
    return hashlib.sha256(data).hexdigest()[:16]


class Searcher:
    """Lexical search over published passages, rebuilt or reloaded when the database moves on."""

    CHECK_EVERY_S = 0.2  # how often a process asks the database for the index version

    def __init__(self, engine: Engine, settings: Settings, cfg: LexicalConfig | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.cfg = cfg or LexicalConfig()
        self.index: LexicalIndex | None = None
        self.version = -1
        self._checked = 0.0
        self._lock = threading.Lock()
        self.passage_ids = np.zeros(0, dtype=np.int64)
        self.policy_ids = np.zeros(0, dtype=np.int64)
        self.validity = np.zeros(0, dtype=np.int8)
        self.department = np.zeros(0, dtype=np.int64)

    @property
    def folder(self):  # noqa: ANN201
        """Where the lexical index lives on disk."""
        return self.settings.index_dir / "lexical"

    def _expect(self, version: int) -> dict:
        return {"format_version": FORMAT_VERSION, "db_version": version,
                "tokenizer": _tokenizer_fingerprint(), "config": asdict(self.cfg)}

    def _rows(self, session: Session) -> list[tuple[Passage, Policy]]:
        stmt = (select(Passage, Policy).join(Policy, Passage.policy_id == Policy.id)
                .where(Policy.status == Status.PUBLISHED).order_by(Passage.id))
        return list(session.exec(stmt).all())

    def ensure_fresh(self, *, force: bool = False) -> None:
        """Follow the database: reload from disk or rebuild when its index version has moved."""
        now = time.monotonic()
        if not force and self.index is not None and now - self._checked < self.CHECK_EVERY_S:
            return
        with self._lock:
            with Session(self.engine) as session:
                version = current_version(session=session)
                self._checked = now
                if not force and version == self.version and self.index is not None:
                    return
                rows = self._rows(session)
            self._install(rows, version, rebuild=force)

    def _install(self, rows: list[tuple[Passage, Policy]], version: int, *, rebuild: bool) -> None:
        expect = self._expect(version) | {"count": len(rows)}
        loaded = None if rebuild else read_folder(self.folder, expect)
        ids = np.fromiter((p.id for p, _ in rows), dtype=np.int64, count=len(rows))
        if loaded is not None and np.array_equal(loaded[0].get("passage_ids"), ids):
            index = LexicalIndex.from_arrays(loaded[0], self.cfg)
        else:
            index = LexicalIndex.build(
                [DocText(pol.title, p.heading, p.text) for p, pol in rows], self.cfg)
            arrays = index.to_arrays() | {"passage_ids": ids}
            write_folder(self.folder, arrays,
                         expect | {"built_at": datetime.now(UTC).isoformat()})
        self.passage_ids = ids
        self.policy_ids = np.fromiter((p.policy_id for p, _ in rows), dtype=np.int64, count=len(rows))
        self.validity = np.fromiter((VALIDITY_CODES.index(pol.validity) for _, pol in rows),
                                    dtype=np.int8, count=len(rows))
        self.department = np.fromiter((pol.department_id or 0 for _, pol in rows), dtype=np.int64,
                                      count=len(rows))
        self.themes = [set(pol.themes) for _, pol in rows]
        self.index, self.version = index, version

    def _mask(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None:
            return None
        mask = np.ones(len(self.passage_ids), dtype=bool)
        if filters.validity:
            codes = [VALIDITY_CODES.index(Validity(v)) for v in filters.validity]
            mask &= np.isin(self.validity, codes)
        if filters.department_ids:
            mask &= np.isin(self.department, filters.department_ids)
        if filters.policy_ids:
            mask &= np.isin(self.policy_ids, filters.policy_ids)
        if filters.theme:
            mask &= np.fromiter((filters.theme in t for t in self.themes), dtype=bool,
                                count=len(self.themes))
        return mask

    def rank(self, query: str, *, limit: int = 100, filters: Filters | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
        """Rows and scores of the best passages, validity-weighted, best first."""
        self.ensure_fresh()
        assert self.index is not None
        if self.index.n_docs == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores = self.index.scores(query)
        scores = scores * _FACTORS[self.validity]
        mask = self._mask(filters)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        limit = min(limit, len(scores))
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[scores[top] > 0]
        return top, scores[top]

    def search(self, query: str, *, k: int = 5, per_policy: int = 2,
               filters: Filters | None = None) -> list[Hit]:
        """The best ``k`` passages, grouped by policy (at most ``per_policy`` each), best policy first."""
        rows, scores = self.rank(query, limit=max(50, k * 10), filters=filters)
        groups: dict[int, list[int]] = {}
        for i, row in enumerate(rows):
            group = groups.setdefault(int(self.policy_ids[row]), [])
            if len(group) < per_policy:
                group.append(i)
        picked = [i for group in groups.values() for i in group][:k]
        return self._hits([int(rows[i]) for i in picked], [float(scores[i]) for i in picked])

    def _hits(self, rows: list[int], scores: list[float]) -> list[Hit]:
        if not rows:
            return []
        ids = [int(self.passage_ids[r]) for r in rows]
        with Session(self.engine) as session:
            found = {p.id: (p, pol) for p, pol in session.exec(
                select(Passage, Policy).join(Policy, Passage.policy_id == Policy.id)
                .where(Passage.id.in_(ids)))}
            newer_ids = {pol.superseded_by_id for _, pol in found.values() if pol.superseded_by_id}
            newer = {p.id: p for p in session.exec(select(Policy).where(Policy.id.in_(newer_ids)))}
        hits = []
        for pid, score in zip(ids, scores, strict=True):
            if pid not in found:
                continue  # deleted since the index was loaded; the next refresh drops it
            p, pol = found[pid]
            sup = newer.get(pol.superseded_by_id)
            hits.append(Hit(
                passage_id=p.id, policy_id=pol.id, title=pol.title, doc_number=pol.doc_number,
                section=p.section, heading=p.heading, kind=p.kind, text=p.text,
                score=round(score, 4), validity=pol.validity,
                superseded_by={"policy_id": sup.id, "title": sup.title, "doc_number": sup.doc_number}
                if sup else None, meta=p.meta))
        return hits

    def coverage(self, query: str, passage_id: int) -> float:
        """How much of the query's specific vocabulary a passage contains, in [0, 1]."""
        assert self.index is not None
        row = int(np.searchsorted(self.passage_ids, passage_id))
        if row >= len(self.passage_ids) or self.passage_ids[row] != passage_id:
            return 0.0
        return self.index.coverage(query, row)
