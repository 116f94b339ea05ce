"""BM25 postings (term frequencies and lengths) scored at query time with live collection statistics.

Nothing here freezes a document count, a document frequency or an average length into the
index: a query combines the postings of every segment with the statistics of the rows alive now,
so an index patched by any sequence of changes scores exactly as one rebuilt from scratch.
"""

from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse  # type: ignore[import-untyped]  # scipy ships no type information


def bm25_idf(n_docs: int, df: np.ndarray | float) -> np.ndarray:
    """BM25+ style idf, never negative."""
    df = np.asarray(df, dtype=np.float64)
    return np.log1p((n_docs - df + 0.5) / (df + 0.5))


class Postings:
    """One segment of one channel: term frequencies per (document, term), CSC, and lengths."""

    def __init__(self, vocab: dict[str, int], tf: sparse.csc_matrix, lengths: np.ndarray) -> None:
        self.vocab = vocab
        self.tf = tf  # shape (n_docs, n_terms), one column per term
        self.lengths = lengths.astype(np.int64)

    @property
    def n_docs(self) -> int:
        """Documents (rows) in this segment, alive or not."""
        n: int = self.tf.shape[0]
        return n

    @classmethod
    def build(cls, docs: Iterable[Sequence[str]]) -> "Postings":
        """Index tokenised documents, streaming (memory grows with postings, not with tokens)."""
        vocab: dict[str, int] = {}
        rows, cols, tfs, lens = array("i"), array("i"), array("f"), array("q")
        for d, tokens in enumerate(docs):
            lens.append(len(tokens))
            for term, tf in Counter(tokens).items():
                rows.append(d)
                cols.append(vocab.setdefault(term, len(vocab)))
                tfs.append(tf)
        n = len(lens)
        tf = sparse.csc_matrix((np.frombuffer(tfs, dtype=np.float32),
                                (np.frombuffer(rows, dtype=np.int32),
                                 np.frombuffer(cols, dtype=np.int32))),
                               shape=(n, len(vocab)), dtype=np.float32)
        tf.sort_indices()
        return cls(vocab, tf, np.frombuffer(lens, dtype=np.int64))

    def gather(self, terms: Sequence[str], dead: np.ndarray, *, postings: bool = True) -> "Part":
        """Postings of ``terms`` (per term: its column's span, then rows and tf), with each term's
        live frequency.

        ``dead``: this segment's dead rows, sorted; a term's live frequency is its column length
        less the dead rows in the column (searched, not scanned: dead rows are few).
        """
        tf = self.tf
        df = np.zeros(len(terms), dtype=np.int64)
        found = [(j, c) for j, t in enumerate(terms) if (c := self.vocab.get(t)) is not None]
        if not found:
            return Part((), _EMPTY_I32, _EMPTY_F, df)
        # Column spans read in one go: indexing numpy scalar by scalar cost more than the rest.
        places = np.array(found, dtype=np.int64)
        starts, ends = tf.indptr[places[:, 1]], tf.indptr[places[:, 1] + 1]
        df[places[:, 0]] = ends - starts
        if len(dead):
            for j, s, e in zip(places[:, 0].tolist(), starts.tolist(), ends.tolist(), strict=True):
                df[j] -= _dead_in(tf.indices[s:e], dead)
        if not postings:
            return Part((), _EMPTY_I32, _EMPTY_F, df)
        spans = list(zip(places[:, 0].tolist(), starts.tolist(), ends.tolist(), strict=True))
        if len(spans) == 1:
            _, s, e = spans[0]
            rows, tfs = tf.indices[s:e], tf.data[s:e]
        else:
            rows = np.concatenate([tf.indices[s:e] for _, s, e in spans])
            tfs = np.concatenate([tf.data[s:e] for _, s, e in spans])
        return Part(tuple(spans), rows, tfs, df)

    def select(self, keep: np.ndarray, vocab: dict[str, int]) -> sparse.coo_matrix:
        """The rows ``keep`` as COO with columns renumbered into ``vocab`` (terms added as needed)."""
        part = self.tf[keep, :].tocoo()
        terms = sorted(self.vocab, key=self.vocab.__getitem__)
        remap = np.fromiter((vocab.setdefault(t, len(vocab)) for t in terms), dtype=np.int64,
                            count=len(terms))
        return sparse.coo_matrix((part.data, (part.row, remap[part.col] if len(terms) else part.col)),
                                 shape=(len(keep), len(vocab)))

    @classmethod
    def merge(cls, parts: list[tuple["Postings", np.ndarray]]) -> "Postings":
        """One segment holding rows ``keep`` of each part, in order (a compaction)."""
        vocab: dict[str, int] = {}
        coos = [p.select(keep, vocab) for p, keep in parts]
        n = sum(len(keep) for _, keep in parts)
        rows, cols, data, start = [], [], [], 0
        for coo, (_, keep) in zip(coos, parts, strict=True):
            rows.append(coo.row.astype(np.int64) + start)
            cols.append(coo.col.astype(np.int64))
            data.append(coo.data)
            start += len(keep)
        tf = sparse.csc_matrix((np.concatenate(data) if data else _EMPTY_F,
                                (np.concatenate(rows) if rows else _EMPTY_I,
                                 np.concatenate(cols) if cols else _EMPTY_I)),
                               shape=(n, len(vocab)), dtype=np.float32)
        tf.sort_indices()
        lengths = np.concatenate([p.lengths[keep] for p, keep in parts]) if parts else _EMPTY_I
        return cls(vocab, tf, lengths)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The segment as plain arrays, for saving."""
        terms = np.array(sorted(self.vocab, key=self.vocab.__getitem__), dtype=str)
        return {"data": self.tf.data, "indices": self.tf.indices, "indptr": self.tf.indptr,
                "shape": np.asarray(self.tf.shape), "terms": terms, "lengths": self.lengths}

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray]) -> "Postings":
        """A segment saved with ``to_arrays``."""
        shape = tuple(int(x) for x in a["shape"])
        tf = sparse.csc_matrix((a["data"], a["indices"], a["indptr"]), shape=shape)
        return cls({str(t): i for i, t in enumerate(a["terms"])}, tf, a["lengths"])


_EMPTY_I = np.zeros(0, dtype=np.int64)
_EMPTY_I32 = np.zeros(0, dtype=np.int32)
_EMPTY_F = np.zeros(0, dtype=np.float32)


@dataclass(frozen=True)
class Part:
    """The postings of a query's terms in one segment (rows local to the segment), term by term."""

    spans: tuple[tuple[int, int, int], ...]  # (term index, start, end) of each term's column
    rows: np.ndarray
    tf: np.ndarray
    df: np.ndarray  # live document frequency of each term in this segment

    def terms_held(self, row: int) -> set[int]:
        """The term indexes whose postings hold local row ``row`` (one posting per term at most)."""
        at = np.flatnonzero(self.rows == row)
        if len(at) == 0:
            return set()
        starts = np.cumsum([0] + [e - s for _, s, e in self.spans])
        return {self.spans[i][0] for i in np.searchsorted(starts, at, side="right") - 1}

    def per_posting(self, term_values: np.ndarray) -> np.ndarray:
        """``term_values[term]`` for each posting, in posting order."""
        return np.repeat(term_values[[j for j, _, _ in self.spans]],
                         [e - s for _, s, e in self.spans])


@dataclass(frozen=True)
class Gathered:
    """The postings of a query's terms in every segment, with live document frequencies."""

    parts: list[tuple[int, int, Part]]  # (offset, rows, part) per segment
    df: np.ndarray


def _dead_in(col: np.ndarray, dead: np.ndarray) -> int:
    """How many of the sorted ``dead`` rows the sorted column ``col`` holds."""
    if len(dead) == 0 or len(col) == 0:
        return 0
    at = np.minimum(np.searchsorted(col, dead), len(col) - 1)
    return int(np.count_nonzero(col[at] == dead))


def gather(segments: Sequence[Postings], offsets: Sequence[int], dead: Sequence[np.ndarray],
           terms: Sequence[str], *, postings: bool = True) -> Gathered:
    """Postings of ``terms`` in all segments; document frequencies count live rows only."""
    parts = [(off, seg.n_docs, seg.gather(terms, d, postings=postings))
             for seg, off, d in zip(segments, offsets, dead, strict=True)]
    df = np.zeros(len(terms), dtype=np.int64)
    for _, _, part in parts:
        df += part.df
    return Gathered(parts, df)


def _summed(g: Gathered, weights_of: Callable[[int, "Part"], np.ndarray], n_rows: int
            ) -> np.ndarray:
    """Per row, the sum of ``weights_of(segment, part)`` (one weight per posting) over postings."""
    parts = [(i, off, n, part) for i, (off, n, part) in enumerate(g.parts) if len(part.rows)]
    if len(parts) == 1 and parts[0][1] == 0 and parts[0][2] == n_rows:
        i, _, n, part = parts[0]  # one segment (the usual case): no zeroed array to add into
        return np.bincount(part.rows, weights=weights_of(i, part), minlength=n)
    out = np.zeros(n_rows, dtype=np.float64)
    for i, off, n, part in parts:
        out[off:off + n] += np.bincount(part.rows, weights=weights_of(i, part), minlength=n)
    return out


def accumulate(g: Gathered, term_w: np.ndarray, n_rows: int) -> np.ndarray:
    """Sum over terms of ``term_w[term]`` for every row."""
    return _summed(g, lambda _, part: part.per_posting(term_w), n_rows)


class Saturations:
    """Each posting's BM25 saturation tf / (tf + norm[row]) under one snapshot's statistics,
    kept term by term: a question's common terms (企业, 申请) recur in the next questions.

    The statistics (hence ``norm``) are a snapshot's, so a cache lives and dies with its snapshot.
    At most ``budget`` postings are kept; past it, saturations are computed and not kept.
    """

    def __init__(self, budget: int) -> None:
        self._kept: dict[tuple[int, int, int], np.ndarray] = {}
        self._left = budget

    @property
    def kept_bytes(self) -> int:
        """Memory the kept saturations hold."""
        return sum(x.nbytes for x in list(self._kept.values()))

    def of(self, segment: int, part: Part, at: int, span: tuple[int, int, int],
           norm: np.ndarray) -> np.ndarray:
        """The saturations of one term's postings (``at``: where they start in ``part``)."""
        _, s, e = span
        key = (segment, s, e)  # a column's span (an empty column may start where the next does)
        found = self._kept.get(key)
        if found is not None:
            return found
        # In place, in the order of the textbook formula: tf / (tf + norm).
        tf = part.tf[at:at + e - s]
        x: np.ndarray = norm[part.rows[at:at + e - s]]
        x += tf
        np.divide(tf, x, out=x)
        if self._left >= len(x):  # a race may keep one twice: harmless, the values are equal
            self._left -= len(x)
            self._kept[key] = x
        return x


def bm25_scores(g: Gathered, qw: np.ndarray, norm: np.ndarray, n_live: int, n_rows: int,
                k1: float, saturations: Saturations | None = None) -> np.ndarray:
    """BM25 of every row: sum over terms of idf · tf (k1 + 1) / (tf + norm[row]) · query weight.

    ``norm`` is k1 (1 − b + b · length / avgdl) of each row, infinite for dead rows (they score 0);
    ``saturations``: the snapshot's cache of tf / (tf + norm) per term.
    """
    term_w = bm25_idf(n_live, g.df) * qw * (k1 + 1)
    cache = saturations or Saturations(0)

    def weights(segment: int, part: Part) -> np.ndarray:
        off, n, _ = g.parts[segment]
        seg_norm, at = norm[off:off + n], 0
        pieces: list[np.ndarray] = []
        for span in part.spans:
            pieces.append(cache.of(segment, part, at, span, seg_norm) * term_w[span[0]])
            at += span[2] - span[1]
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)

    return _summed(g, weights, n_rows)


def length_norm(lengths: np.ndarray, alive: np.ndarray, *, k1: float, b: float
                ) -> tuple[np.ndarray, int]:
    """Each row's BM25 length normaliser under the live rows' average length, and the live count."""
    n_live = int(alive.sum())
    total = int(lengths[alive].sum())
    avgdl = total / n_live if n_live and total else 1.0
    norm = k1 * (1 - b + b * lengths / avgdl)  # float64: scores agree with the textbook formula
    norm[~alive] = np.inf
    return norm, n_live
