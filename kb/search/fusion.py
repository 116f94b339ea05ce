"""Fusing lexical and dense candidates into one ranking, by a setting measured per model."""

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

MODES = ("lexical", "dense", "hybrid")
METHODS = ("weighted", "rrf")


@dataclass(frozen=True)
class FusionSetting:
    """How to rank: lexical only, dense only, or both fused (weighted scores or RRF)."""

    mode: str = "lexical"
    method: str = "weighted"
    weight: float = 0.0  # the dense share in hybrid mode
    rrf_k: int = 60

    def label(self) -> str:
        """Short human label, e.g. "hybrid rrf w=0.50"."""
        if self.mode != "hybrid":
            return self.mode
        return f"hybrid {self.method} w={self.weight:.2f}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


LEXICAL = FusionSetting()


def _dense_norm(scores: np.ndarray) -> np.ndarray:
    # Cosines sit in a narrow band that differs by model: rescale the candidates' own range.
    lo, hi = float(scores.min()), float(scores.max())
    return (scores - lo) / (hi - lo) if hi > lo else np.ones_like(scores)


def fuse(n_rows: int, lex_rows: np.ndarray, lex_scores: np.ndarray, dense_rows: np.ndarray,
         dense_scores: np.ndarray, setting: FusionSetting) -> np.ndarray:
    """A score per row (zero for rows neither channel returned), best rows highest.

    Lexical scores are already in [0, 1]; dense cosines are rescaled over the dense candidates.
    """
    out = np.zeros(n_rows, dtype=np.float32)
    if setting.mode == "lexical":
        out[lex_rows] = lex_scores
        return out
    if setting.mode == "dense":
        out[dense_rows] = _dense_norm(dense_scores) if len(dense_scores) else 0.0
        return out
    w = setting.weight
    if setting.method == "rrf":
        out[lex_rows] += (1 - w) / (setting.rrf_k + np.arange(1, len(lex_rows) + 1))
        out[dense_rows] += w / (setting.rrf_k + np.arange(1, len(dense_rows) + 1))
        return out
    out[lex_rows] += (1 - w) * lex_scores
    if len(dense_rows):
        out[dense_rows] += w * _dense_norm(dense_scores)
    return out
