"""A BM25 index over pre-tokenised documents, as a sparse matrix of precomputed term weights."""

from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import numpy as np
from scipy import sparse


def bm25_idf(n_docs: int, df: np.ndarray | float) -> np.ndarray:
    """BM25+ style idf, never negative."""
    return np.log1p((n_docs - np.asarray(df, dtype=np.float32) + 0.5)
                    / (np.asarray(df, dtype=np.float32) + 0.5)).astype(np.float32)


class BM25:
    """Okapi BM25 with weights precomputed per (document, term), so a query is a column sum."""

    def __init__(self, vocab: dict[str, int], weights: sparse.csc_matrix, idf: np.ndarray,
                 avgdl: float = 1.0) -> None:
        self.vocab = vocab
        self.weights = weights  # shape (n_docs, n_terms), CSC: one column per term
        self.idf = idf
        self.avgdl = avgdl

    @property
    def n_docs(self) -> int:
        """Number of documents indexed."""
        return self.weights.shape[0]

    @classmethod
    def build(cls, docs: Iterable[Sequence[str]], *, k1: float = 1.2, b: float = 0.75,
              idf_of: Callable[[str], float] | None = None, avgdl: float | None = None) -> "BM25":
        """Index tokenised documents, streaming (memory grows with postings, not with tokens).

        ``idf_of`` and ``avgdl`` freeze the statistics to another index's, so that a small
        segment of new documents scores on the same scale as the index it extends.
        """
        vocab: dict[str, int] = {}
        rows, cols, tfs, lens = array("i"), array("i"), array("f"), array("f")
        for d, tokens in enumerate(docs):
            lens.append(len(tokens))
            for term, tf in Counter(tokens).items():
                rows.append(d)
                cols.append(vocab.setdefault(term, len(vocab)))
                tfs.append(tf)
        n = len(lens)
        tf = np.frombuffer(tfs, dtype=np.float32)
        col = np.frombuffer(cols, dtype=np.int32)
        row = np.frombuffer(rows, dtype=np.int32)
        lengths = np.frombuffer(lens, dtype=np.float32)
        if idf_of is None:
            idf = bm25_idf(max(n, 1), np.bincount(col, minlength=len(vocab)))
        else:
            idf = np.fromiter((idf_of(t) for t in vocab), dtype=np.float32, count=len(vocab))
        if avgdl is None:
            avgdl = float(lengths.mean()) if n else 1.0
        norm = k1 * (1 - b + b * lengths[row] / max(avgdl, 1e-9))
        data = idf[col] * tf * (k1 + 1) / (tf + norm)
        weights = sparse.csc_matrix((data, (row, col)), shape=(n, len(vocab)), dtype=np.float32)
        return cls(vocab, weights, idf, avgdl)

    def idf_of(self, term: str) -> float:
        """The idf of ``term``; a term never seen counts as appearing in one document."""
        i = self.vocab.get(term)
        return float(self.idf[i]) if i is not None else float(bm25_idf(max(self.n_docs, 1), 1.0))

    def term_ids(self, tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Known query terms as column ids with their query counts."""
        counts = Counter(t for t in tokens if t in self.vocab)
        ids = np.fromiter((self.vocab[t] for t in counts), dtype=np.int64, count=len(counts))
        qtf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        return ids, qtf

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for the query tokens (repeated query terms count once more each)."""
        ids, qtf = self.term_ids(tokens)
        if len(ids) == 0:
            return np.zeros(self.n_docs, dtype=np.float32)
        # Saturate query term frequency: a term repeated in a question matters, but not linearly.
        qw = (1.0 + np.log(qtf)).astype(np.float32)
        return np.asarray(self.weights[:, ids] @ qw).ravel()

    def contains(self, row: int, tokens: Sequence[str]) -> np.ndarray:
        """For each of ``tokens``, whether document ``row`` holds it."""
        out = np.zeros(len(tokens), dtype=bool)
        for i, t in enumerate(tokens):
            col = self.vocab.get(t)
            if col is not None:
                start, end = self.weights.indptr[col], self.weights.indptr[col + 1]
                rows = self.weights.indices[start:end]
                j = np.searchsorted(rows, row)
                out[i] = j < len(rows) and rows[j] == row
        return out

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The index as plain arrays, for saving."""
        w = self.weights
        terms = np.array(sorted(self.vocab, key=self.vocab.__getitem__), dtype=str)
        return {"data": w.data, "indices": w.indices, "indptr": w.indptr,
                "shape": np.asarray(w.shape), "idf": self.idf, "terms": terms,
                "avgdl": np.asarray([self.avgdl], dtype=np.float64)}

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray]) -> "BM25":
        """Rebuild an index saved with ``to_arrays``."""
        shape = tuple(int(x) for x in a["shape"])
        weights = sparse.csc_matrix((a["data"], a["indices"], a["indptr"]), shape=shape)
        vocab = {str(t): i for i, t in enumerate(a["terms"])}
        return cls(vocab, weights, a["idf"], float(a["avgdl"][0]))
