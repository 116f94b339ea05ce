"""Lexical retrieval for Chinese: BM25 over jieba words and over character bigrams, fused.

An index is a large base segment plus a small delta segment of passages published since the
base was built. The delta scores with the base's idf and average length, so scores compare
across segments; it is rebuilt from cached tokens on every change, the base only when the
delta grows large.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from kb.search.bm25 import BM25
from kb.search.text.synonyms import canonical, expand
from kb.search.text.tokenize import bigrams, words

CHANNELS = ("words", "bigrams")


@dataclass(frozen=True)
class LexicalConfig:
    """Fusion and boost settings; defaults measured with ``policykb eval`` (see README)."""

    word_weight: float = 0.5  # the bigram channel gets 1 - word_weight
    title_repeat: int = 2  # the title counts this many times (title boost)
    heading_repeat: int = 1  # the heading context counts this many times (heading boost)
    k1: float = 0.5
    b: float = 0.9
    # Added to the fused score: this times the idf-weighted share of the question's bigrams a
    # passage holds, so a clause that has all of the question beats one repeating part of it.
    coverage_bonus: float = 0.5


@dataclass
class DocText:
    """The fields of a passage that lexical retrieval reads."""

    title: str
    heading: str
    text: str


Tokens = tuple[list[str], list[str]]  # (words, bigrams) of one passage


def doc_tokens(doc: DocText, cfg: LexicalConfig) -> Tokens:
    """A passage's tokens per channel, with the title and heading boosts applied."""
    return doc_tokens_one(doc, cfg, words), doc_tokens_one(doc, cfg, bigrams)


def doc_tokens_one(doc: DocText, cfg: LexicalConfig, tokenize) -> list[str]:  # noqa: ANN001
    """One channel's tokens of a passage (the streaming build tokenises channel by channel)."""
    return (tokenize(doc.title) * cfg.title_repeat + tokenize(doc.heading) * cfg.heading_repeat
            + tokenize(doc.text))


def _channels(streams: dict[str, Iterable[list[str]]], cfg: LexicalConfig,
              base: dict[str, BM25] | None = None) -> dict[str, BM25]:
    """One BM25 per channel; with ``base``, scored on the base's idf and average length."""
    return {name: BM25.build(stream, k1=cfg.k1, b=cfg.b, **(
        {} if base is None else {"idf_of": base[name].idf_of, "avgdl": base[name].avgdl}))
        for name, stream in streams.items()}


def _tokenised(docs: list[DocText], cfg: LexicalConfig, tokenize) -> Iterator[list[str]]:  # noqa: ANN001
    return (doc_tokens_one(d, cfg, tokenize) for d in docs)


class LexicalIndex:
    """Two BM25 channels over the same passages; scores are max-normalised per query and summed."""

    def __init__(self, channels: dict[str, BM25], cfg: LexicalConfig,
                 delta: dict[str, BM25] | None = None) -> None:
        self.channels = channels
        self.delta = delta
        self.cfg = cfg

    @property
    def n_base(self) -> int:
        """Passages in the base segment (rows 0..n_base-1)."""
        return self.channels["bigrams"].n_docs

    @property
    def n_docs(self) -> int:
        """Passages indexed, base and delta."""
        return self.n_base + (self.delta["bigrams"].n_docs if self.delta else 0)

    @classmethod
    def build(cls, docs: list[DocText], cfg: LexicalConfig | None = None) -> "LexicalIndex":
        """Tokenise and index every passage (channel by channel, so tokens are never all held)."""
        cfg = cfg or LexicalConfig()
        return cls(_channels({"words": _tokenised(docs, cfg, words),
                              "bigrams": _tokenised(docs, cfg, bigrams)}, cfg), cfg)

    def with_delta(self, tokens: list[Tokens]) -> "LexicalIndex":
        """This base with a delta segment of already tokenised passages (rows n_base onwards)."""
        delta = _channels({"words": (t[0] for t in tokens), "bigrams": (t[1] for t in tokens)},
                          self.cfg, base=self.channels) if tokens else None
        return LexicalIndex(self.channels, self.cfg, delta)

    def _channel_scores(self, name: str, tokens: list[str]) -> np.ndarray:
        s = self.channels[name].scores(tokens)
        if self.delta:
            s = np.concatenate([s, self.delta[name].scores(tokens)])
        return s

    def scores(self, query: str) -> np.ndarray:
        """Fused score in [0, 1] of every passage for ``query``."""
        out = np.zeros(self.n_docs, dtype=np.float32)
        query = expand(query)
        for name, weight, tokens in (
            ("words", self.cfg.word_weight, words(query)),
            ("bigrams", 1.0 - self.cfg.word_weight, bigrams(query)),
        ):
            s = self._channel_scores(name, tokens)
            top = float(s.max()) if len(s) else 0.0
            if top > 0:
                out += weight * (s / top)
        if self.cfg.coverage_bonus:
            out += self.cfg.coverage_bonus * self.coverages(query)
            out /= 1.0 + self.cfg.coverage_bonus  # back into [0, 1]
        return out

    def coverages(self, query: str) -> np.ndarray:
        """``coverage`` of every passage at once: one sparse product over the bigram columns."""
        grams = list(dict.fromkeys(bigrams(canonical(query))))
        out = np.zeros(self.n_docs, dtype=np.float32)
        weight = self.term_weights(grams) if grams else None
        total = float(weight.sum()) if weight is not None else 0.0
        if total <= 0:
            return out
        parts = [self.channels["bigrams"]] + ([self.delta["bigrams"]] if self.delta else [])
        start = 0
        for bm in parts:
            cols = [(bm.vocab[g], w) for g, w in zip(grams, weight, strict=True) if g in bm.vocab]
            if cols:
                ids = np.asarray([c for c, _ in cols], dtype=np.int64)
                w = np.asarray([x for _, x in cols], dtype=np.float32)
                held = bm.weights[:, ids]
                held.data[:] = 1.0  # presence, not BM25 weight
                out[start:start + bm.n_docs] = np.asarray(held @ w).ravel() / total
            start += bm.n_docs
        return out

    def term_weights(self, terms: list[str]) -> np.ndarray:
        """The bigram channel's idf of each term (unseen terms count as maximally specific)."""
        bm = self.channels["bigrams"]
        top = float(bm.idf.max()) if len(bm.idf) else 1.0
        seen = [t in bm.vocab or (self.delta is not None and t in self.delta["bigrams"].vocab)
                for t in terms]
        return np.asarray([bm.idf_of(t) if s else top for t, s in zip(terms, seen, strict=True)],
                          dtype=np.float32)

    def coverage(self, query: str, row: int) -> float:
        """Share of the query's bigram weight (idf) that passage ``row`` contains, in [0, 1]."""
        grams = list(dict.fromkeys(bigrams(canonical(query))))
        if not grams:
            return 0.0
        weight = self.term_weights(grams)
        if row < self.n_base:
            present = self.channels["bigrams"].contains(row, grams)
        elif self.delta is not None:
            present = self.delta["bigrams"].contains(row - self.n_base, grams)
        else:
            return 0.0
        total = float(weight.sum())
        return float(weight[present].sum() / total) if total > 0 else 0.0

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The base segment as arrays (the delta is rebuilt from the database on load)."""
        out = {}
        for name, bm in self.channels.items():
            out |= {f"{name}.{k}": v for k, v in bm.to_arrays().items()}
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], cfg: LexicalConfig) -> "LexicalIndex":
        """Load from ``to_arrays`` output."""
        channels = {}
        for name in CHANNELS:
            prefix = f"{name}."
            channels[name] = BM25.from_arrays(
                {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
            )
        return cls(channels, cfg)
