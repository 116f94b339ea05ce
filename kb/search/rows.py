"""The searcher's row table: which passage each index row holds, and what filters read about it."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from kb.library.filters import Filters
from kb.models import Validity

VALIDITY_CODES = list(Validity)
# Passages of policies that no longer apply stay findable (people ask about them) but rank lower.
VALIDITY_FACTOR = {Validity.VALID: 1.0, Validity.REVISED: 0.8, Validity.EXPIRED: 0.75,
                   Validity.REPEALED: 0.7}
FACTORS = np.asarray([VALIDITY_FACTOR[v] for v in VALIDITY_CODES], dtype=np.float32)


@dataclass
class PolicyFacts:
    """What filters and ranking need to know about one policy."""

    validity: Validity
    department_id: int | None


class RowTable:
    """Rows in index order (base segment, then delta), with dead rows for removed passages."""

    def __init__(self) -> None:
        self.passage_ids = np.zeros(0, dtype=np.int64)
        self.policy_ids = np.zeros(0, dtype=np.int64)
        self.alive = np.zeros(0, dtype=bool)
        self.faq = np.zeros(0, dtype=bool)
        self.validity = np.zeros(0, dtype=np.int8)
        self.department = np.zeros(0, dtype=np.int64)
        self.factor = np.zeros(0, dtype=np.float32)
        # Policy id -> themes, read only when a theme filter is used (parsing every policy's
        # JSON on every publish would cost more than the rest of the refresh).
        self.themes_loader: Callable[[], dict[int, set[str]]] = dict
        self._themes: dict[int, set[str]] | None = None
        # Passage id -> live row, -1 for none: an array indexed by id (ids are the database's
        # small integers), so a batch of ids is looked up at once and a copy is one memcpy.
        self._row_of = np.full(0, -1, dtype=np.int32)

    def copy(self) -> "RowTable":
        """A table a refresh may change while searches keep reading this one."""
        other = RowTable()
        other.__dict__.update(self.__dict__)
        other.alive = self.alive.copy()  # the one array changed in place (kill)
        other._row_of = self._row_of.copy()
        return other

    def __len__(self) -> int:
        return len(self.passage_ids)

    @property
    def live_ids(self) -> np.ndarray:
        """Passage ids of the live rows, sorted."""
        return np.sort(self.passage_ids[self.alive])

    @property
    def live_faq_ids(self) -> np.ndarray:
        """Passage ids of the live FAQ rows, sorted."""
        return np.sort(self.passage_ids[self.alive & self.faq])

    def row_of(self, passage_id: int) -> int | None:
        """The live row holding ``passage_id``, if any."""
        if not 0 <= passage_id < len(self._row_of):
            return None
        row = int(self._row_of[passage_id])
        return row if row >= 0 else None

    def rows_of(self, passage_ids: np.ndarray) -> np.ndarray:
        """Rows of passage ids (-1 where not live)."""
        ids = np.asarray(passage_ids, dtype=np.int64)
        out = np.full(len(ids), -1, dtype=np.int64)
        inside = (ids >= 0) & (ids < len(self._row_of))
        out[inside] = self._row_of[ids[inside]]
        return out

    def append(self, passage_ids: np.ndarray, policy_ids: np.ndarray, faq: np.ndarray) -> None:
        """Add rows at the end (a new base starts from an empty table)."""
        start = len(self.passage_ids)
        self.passage_ids = np.concatenate([self.passage_ids, passage_ids.astype(np.int64)])
        self.policy_ids = np.concatenate([self.policy_ids, policy_ids.astype(np.int64)])
        self.alive = np.concatenate([self.alive, np.ones(len(passage_ids), dtype=bool)])
        self.faq = np.concatenate([self.faq, faq.astype(bool)])
        self._map(passage_ids.astype(np.int64), np.arange(start, len(self.passage_ids)))

    def _map(self, passage_ids: np.ndarray, rows: np.ndarray) -> None:
        """Point ``passage_ids`` at ``rows`` (the id array grows, with room, as ids do)."""
        if len(passage_ids) == 0:
            return
        top = int(passage_ids.max()) + 1
        if top > len(self._row_of):
            grown = np.full(max(top, len(self._row_of) * 5 // 4), -1, dtype=np.int32)
            grown[:len(self._row_of)] = self._row_of
            self._row_of = grown
        self._row_of[passage_ids] = rows

    def kill(self, passage_ids: np.ndarray) -> None:
        """Mark removed passages' rows dead; they score zero until the next base rebuild."""
        ids = np.asarray(passage_ids, dtype=np.int64)
        ids = ids[(ids >= 0) & (ids < len(self._row_of))]
        rows = self._row_of[ids]
        self.alive[rows[rows >= 0]] = False
        self._row_of[ids] = -1

    def set_policies(self, facts: dict[int, PolicyFacts], *,
                     only: np.ndarray | None = None) -> None:
        """Refresh per-row policy facts (validity can change without the passages changing).

        ``only``: the policies whose facts changed (the rest keep theirs); None: all of them.
        """
        pol_ids = np.fromiter(facts, dtype=np.int64, count=len(facts))
        codes = np.fromiter((VALIDITY_CODES.index(f.validity) for f in facts.values()),
                            dtype=np.int8, count=len(facts))
        depts = np.fromiter((f.department_id or 0 for f in facts.values()), dtype=np.int64,
                            count=len(facts))
        order = np.argsort(pol_ids)
        pol_ids, codes, depts = pol_ids[order], codes[order], depts[order]
        where = np.clip(np.searchsorted(pol_ids, self.policy_ids), 0, max(len(pol_ids) - 1, 0))
        known = (pol_ids[where] == self.policy_ids) if len(pol_ids) else np.zeros(len(self), bool)
        validity = np.where(known, codes[where] if len(codes) else 0, 0).astype(np.int8)
        department = np.where(known, depts[where] if len(depts) else 0, 0)
        if only is not None:  # rows appended since the facts were last set have none yet
            n = len(self.validity)
            keep = ~np.isin(self.policy_ids[:n], only)
            validity[:n][keep] = self.validity[keep]
            department[:n][keep] = self.department[keep]
        self.validity, self.department = validity, department
        self.factor = np.where(self.alive, FACTORS[self.validity], 0.0).astype(np.float32)
        self._themes = None

    def compacted(self, kept: np.ndarray, tail_from: int) -> "RowTable":
        """Rows ``kept`` (a compaction's survivors) then rows from ``tail_from`` on, renumbered."""
        pick = np.concatenate([kept.astype(np.int64), np.arange(tail_from, len(self))])
        other = RowTable()
        other.passage_ids = self.passage_ids[pick]
        other.policy_ids = self.policy_ids[pick]
        other.alive = self.alive[pick].copy()
        other.faq = self.faq[pick]
        other.validity = self.validity[pick]
        other.department = self.department[pick]
        other.factor = self.factor[pick]
        other.themes_loader = self.themes_loader
        alive_rows = np.nonzero(other.alive)[0]
        other._map(other.passage_ids[alive_rows], alive_rows)
        return other

    def mask(self, filters: Filters | None) -> np.ndarray:
        """Rows a search may return: live and passing ``filters``."""
        mask = self.alive.copy()
        if filters is None:
            return mask
        if filters.validity:
            codes = [VALIDITY_CODES.index(Validity(v)) for v in filters.validity]
            mask &= np.isin(self.validity, codes)
        if filters.department_ids:
            mask &= np.isin(self.department, filters.department_ids)
        if filters.policy_ids:
            mask &= np.isin(self.policy_ids, filters.policy_ids)
        if filters.theme:
            if self._themes is None:
                self._themes = self.themes_loader()
            with_theme = [pid for pid, t in self._themes.items() if filters.theme in t]
            mask &= np.isin(self.policy_ids, with_theme)
        return mask
