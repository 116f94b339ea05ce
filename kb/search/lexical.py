"""Lexical retrieval for Chinese: BM25 over jieba words and over character bigrams, fused."""

from dataclasses import dataclass

import numpy as np

from kb.search.bm25 import BM25
from kb.text.synonyms import canonical, expand
from kb.text.tokenize import bigrams, words


@dataclass(frozen=True)
class LexicalConfig:
    """Fusion and boost settings; defaults measured with ``policykb eval`` (see README)."""

    word_weight: float = 0.5  # the bigram channel gets 1 - word_weight
    title_repeat: int = 2  # the title counts this many times (title boost)
    heading_repeat: int = 1  # the heading context counts this many times (heading boost)
    k1: float = 1.2
    b: float = 0.75


@dataclass
class DocText:
    """The fields of a passage that lexical retrieval reads."""

    title: str
    heading: str
    text: str


def _doc_tokens(doc: DocText, cfg: LexicalConfig, tokenize) -> list[str]:  # noqa: ANN001
    return (tokenize(doc.title) * cfg.title_repeat + tokenize(doc.heading) * cfg.heading_repeat
            + tokenize(doc.text))


class LexicalIndex:
    """Two BM25 channels over the same passages; scores are max-normalised per query and summed."""

    def __init__(self, channels: dict[str, BM25], cfg: LexicalConfig) -> None:
        self.channels = channels
        self.cfg = cfg

    @property
    def n_docs(self) -> int:
        """Number of passages indexed."""
        return self.channels["bigrams"].n_docs

    @classmethod
    def build(cls, docs: list[DocText], cfg: LexicalConfig | None = None) -> "LexicalIndex":
        """Tokenise and index every passage."""
        cfg = cfg or LexicalConfig()
        return cls(
            {
                "words": BM25.build([_doc_tokens(d, cfg, words) for d in docs], k1=cfg.k1, b=cfg.b),
                "bigrams": BM25.build([_doc_tokens(d, cfg, bigrams) for d in docs], k1=cfg.k1, b=cfg.b),
            },
            cfg,
        )

    def scores(self, query: str) -> np.ndarray:
        """Fused score in [0, 1] of every passage for ``query``."""
        out = np.zeros(self.n_docs, dtype=np.float32)
        query = expand(query)
        for name, weight, tokens in (
            ("words", self.cfg.word_weight, words(query)),
            ("bigrams", 1.0 - self.cfg.word_weight, bigrams(query)),
        ):
            s = self.channels[name].scores(tokens)
            top = float(s.max()) if len(s) else 0.0
            if top > 0:
                out += weight * (s / top)
        return out

    def coverage(self, query: str, row: int) -> float:
        """Share of the query's bigram weight (idf) that passage ``row`` contains, in [0, 1]."""
        bm = self.channels["bigrams"]
        grams = bigrams(canonical(query))
        ids, _ = bm.term_ids(grams)
        unknown = len(set(grams)) - len(ids)
        if len(ids) == 0:
            return 0.0
        idf = bm.idf[ids]
        present = bm.weights[row, ids].toarray().ravel() > 0
        # A query word the corpus has never seen is maximally specific: it counts as a miss.
        total = float(idf.sum()) + unknown * float(bm.idf.max())
        return float(idf[present].sum() / total) if total > 0 else 0.0

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Everything needed to load the index again, as arrays."""
        out = {}
        for name, bm in self.channels.items():
            out |= {f"{name}.{k}": v for k, v in bm.to_arrays().items()}
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], cfg: LexicalConfig) -> "LexicalIndex":
        """Load from ``to_arrays`` output."""
        channels = {}
        for name in ("words", "bigrams"):
            prefix = f"{name}."
            channels[name] = BM25.from_arrays(
                {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
            )
        return cls(channels, cfg)
