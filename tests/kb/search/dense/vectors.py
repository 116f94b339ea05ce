"""Seeded test vectors and the brute-force search faiss results are checked against."""

from collections.abc import Callable

import numpy as np

Vectors = Callable[[int], np.ndarray]


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1, as float32."""
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


def make_vectors(*, dim: int, seed: int, centers: int = 64, spread: float = 1.0) -> Vectors:
    """A seeded source of unit vectors drawn around shared cluster centres, like real embeddings."""
    rng = np.random.default_rng(seed)
    middles = rng.standard_normal((centers, dim))

    def draw(n: int) -> np.ndarray:
        picked = middles[rng.integers(0, centers, n)]
        return unit_rows(picked + spread * rng.standard_normal((n, dim)))

    return draw


def exact_top(queries: np.ndarray, ids: np.ndarray, vectors: np.ndarray, k: int) -> np.ndarray:
    """Brute-force top-k ids by inner product: the ground truth faiss is checked against."""
    scores = queries @ vectors.T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return ids[order]
