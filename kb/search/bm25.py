"""A BM25 index over pre-tokenised documents, as a sparse matrix of precomputed term weights."""

from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import sparse


class BM25:
    """Okapi BM25 with weights precomputed per (document, term), so a query is a column sum."""

    def __init__(self, vocab: dict[str, int], weights: sparse.csc_matrix, idf: np.ndarray) -> None:
        self.vocab = vocab
        self.weights = weights  # shape (n_docs, n_terms), CSC: one column per term
        self.idf = idf

    @property
    def n_docs(self) -> int:
        """Number of documents indexed."""
        return self.weights.shape[0]

    @classmethod
    def build(cls, docs: Sequence[Sequence[str]], *, k1: float = 1.2, b: float = 0.75) -> "BM25":
        """Index tokenised documents (BM25+ style idf, never negative)."""
        vocab: dict[str, int] = {}
        rows, cols, tfs = [], [], []
        lengths = np.zeros(len(docs), dtype=np.float32)
        for d, tokens in enumerate(docs):
            lengths[d] = len(tokens)
            for term, tf in Counter(tokens).items():
                rows.append(d)
                cols.append(vocab.setdefault(term, len(vocab)))
                tfs.append(tf)
        n = max(len(docs), 1)
        tf = np.asarray(tfs, dtype=np.float32)
        col = np.asarray(cols, dtype=np.int64)
        row = np.asarray(rows, dtype=np.int64)
        df = np.bincount(col, minlength=len(vocab)).astype(np.float32)
        idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        avgdl = float(lengths.mean()) if len(docs) else 1.0
        norm = k1 * (1 - b + b * lengths[row] / max(avgdl, 1e-9))
        data = idf[col] * tf * (k1 + 1) / (tf + norm)
        weights = sparse.csc_matrix((data, (row, col)), shape=(len(docs), len(vocab)), dtype=np.float32)
        return cls(vocab, weights, idf)

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

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The index as plain arrays, for saving."""
        w = self.weights
        terms = np.array(sorted(self.vocab, key=self.vocab.__getitem__), dtype=str)
        return {"data": w.data, "indices": w.indices, "indptr": w.indptr,
                "shape": np.asarray(w.shape), "idf": self.idf, "terms": terms}

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray]) -> "BM25":
        """Rebuild an index saved with ``to_arrays``."""
        shape = tuple(int(x) for x in a["shape"])
        weights = sparse.csc_matrix((a["data"], a["indices"], a["indptr"]), shape=shape)
        vocab = {str(t): i for i, t in enumerate(a["terms"])}
        return cls(vocab, weights, a["idf"])
