"""Lexical retrieval for Chinese: BM25 over jieba words and over character bigrams, fused.

An index is a base segment plus small delta segments of passages published since, and a mask
of the rows alive. Document count, document frequencies and average length are taken from the
alive rows of all segments at query time, so a patched index ranks exactly as a rebuilt one;
compaction (dropping dead rows, merging segments) only saves time and memory.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from kb.search.bm25 import (
    Gathered,
    Postings,
    Saturations,
    accumulate,
    bm25_idf,
    bm25_scores,
    gather,
    length_norm,
)
from kb.search.text.synonyms import canonical, expand
from kb.search.text.tokenize import bigrams, words

CHANNELS = ("words", "bigrams")
QUERY_CACHE = 8  # queries whose statistics a snapshot keeps (ask reads one question many times)
# Postings whose BM25 saturation a snapshot keeps, per channel (8 bytes each: 32 MB at most).
SATURATION_BUDGET = 4_000_000
IDF_KEPT = 200_000  # bigram idfs a snapshot keeps (about 30 MB at most)


@dataclass(frozen=True)
class LexicalConfig:
    """Fusion and boost settings; defaults measured with ``policykb eval`` (see docs/developers.md, "Evaluation")."""

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
Segment = dict[str, Postings]  # one Postings per channel, over the same rows
Tokenizer = Callable[[str], list[str]]  # words or bigrams


def doc_tokens(doc: DocText, cfg: LexicalConfig) -> Tokens:
    """A passage's tokens per channel, with the title and heading boosts applied."""
    return doc_tokens_one(doc, cfg, words), doc_tokens_one(doc, cfg, bigrams)


def doc_tokens_one(doc: DocText, cfg: LexicalConfig, tokenize: Tokenizer) -> list[str]:
    """One channel's tokens of a passage (the streaming build tokenises channel by channel)."""
    return (tokenize(doc.title) * cfg.title_repeat + tokenize(doc.heading) * cfg.heading_repeat
            + tokenize(doc.text))


def _tokenised(docs: list[DocText], cfg: LexicalConfig, tokenize: Tokenizer
               ) -> Iterator[list[str]]:
    return (doc_tokens_one(d, cfg, tokenize) for d in docs)


@dataclass
class QueryStats:
    """What one query needs from one snapshot, computed once: fused scores and coverages, and
    for the confidence, its terms' live frequencies and the word postings read."""

    scores: np.ndarray
    coverages: np.ndarray
    # channel -> (its postings of the query's terms, term -> place in them)
    gathered: dict[str, tuple[Gathered, dict[str, int]]] = field(default_factory=dict)


class LexicalIndex:
    """Two BM25 channels over the same passages; scores are max-normalised per query and summed."""

    def __init__(self, segments: list[Segment], cfg: LexicalConfig,
                 alive: np.ndarray | None = None) -> None:
        self.segments = segments
        self.cfg = cfg
        sizes = [s["bigrams"].n_docs for s in segments]
        self.offsets = list(np.cumsum([0] + sizes[:-1]).tolist()) if sizes else []
        n = int(sum(sizes))
        self.alive = np.ones(n, dtype=bool) if alive is None else alive
        assert len(self.alive) == n
        self._norm: dict[str, np.ndarray] = {}
        self._n_live = int(self.alive.sum())
        # Each segment's dead rows, local and sorted: document frequencies leave them out.
        self._dead = [np.nonzero(~self.alive[off:off + n])[0].astype(np.int32)
                      for off, n in zip(self.offsets, sizes, strict=True)]
        for name in CHANNELS:
            lengths = (np.concatenate([s[name].lengths for s in segments]) if segments
                       else np.zeros(0, np.int64))
            self._norm[name], _ = length_norm(lengths, self.alive, k1=cfg.k1, b=cfg.b)
        self._cache: dict[str, QueryStats] = {}
        # Live idf of bigram terms read so far: FAQ questions' terms are weighed on every question.
        self._idf: dict[str, float] = {}
        self._question_weight: dict[str, float] = {}  # FAQ question -> its bigrams' idf sum
        self._saturations = {name: Saturations(SATURATION_BUDGET) for name in CHANNELS}

    @property
    def n_base(self) -> int:
        """Rows in the base segment (rows 0..n_base-1)."""
        return self.segments[0]["bigrams"].n_docs if self.segments else 0

    @property
    def n_docs(self) -> int:
        """Rows indexed, every segment, alive or not."""
        return len(self.alive)

    @property
    def n_live(self) -> int:
        """Rows alive: the document count of the statistics."""
        return self._n_live

    @property
    def delta_rows(self) -> int:
        """Rows outside the base segment."""
        return self.n_docs - self.n_base

    @classmethod
    def build(cls, docs: list[DocText], cfg: LexicalConfig | None = None) -> "LexicalIndex":
        """Tokenise and index every passage (channel by channel, so tokens are never all held)."""
        cfg = cfg or LexicalConfig()
        return cls([{"words": Postings.build(_tokenised(docs, cfg, words)),
                     "bigrams": Postings.build(_tokenised(docs, cfg, bigrams))}], cfg)

    def extend(self, tokens: list[Tokens]) -> "LexicalIndex":
        """This index with one more segment of tokenised passages (new rows, alive)."""
        if not tokens:
            return self
        seg = {"words": Postings.build(t[0] for t in tokens),
               "bigrams": Postings.build(t[1] for t in tokens)}
        return LexicalIndex(self.segments + [seg], self.cfg,
                            np.concatenate([self.alive, np.ones(len(tokens), dtype=bool)]))

    def with_alive(self, alive: np.ndarray) -> "LexicalIndex":
        """The same segments with another set of rows alive (statistics follow)."""
        return LexicalIndex(self.segments, self.cfg, alive)

    def compacted(self, upto: int | None = None) -> tuple["LexicalIndex", np.ndarray]:
        """One segment of the rows alive in segments[:upto], and those rows' old numbers."""
        segs = self.segments[:upto]
        parts: dict[str, list[tuple[Postings, np.ndarray]]] = {name: [] for name in CHANNELS}
        kept = []
        for seg, off in zip(segs, self.offsets, strict=False):
            n = seg["bigrams"].n_docs
            keep = np.nonzero(self.alive[off:off + n])[0]
            kept.append(keep + off)
            for name in CHANNELS:
                parts[name].append((seg[name], keep))
        merged = {name: Postings.merge(parts[name]) for name in CHANNELS}
        return LexicalIndex([merged], self.cfg), (np.concatenate(kept) if kept
                                                  else np.zeros(0, np.int64))

    # --- scoring ---------------------------------------------------------------------------

    def _gather(self, name: str, terms: list[str], *, postings: bool = True) -> Gathered:
        return gather([s[name] for s in self.segments], self.offsets, self._dead, terms,
                      postings=postings)

    def stats(self, query: str) -> QueryStats:
        """Scores and coverages of ``query``, computed once per snapshot and kept for a while.

        The query is tokenised once per channel, and the bigram postings are read once for both
        the BM25 channel and the coverage.
        """
        found = self._cache.get(query)
        if found is not None:
            return found
        expanded = expand(query)
        word_counts, gram_counts = Counter(words(expanded)), Counter(bigrams(expanded))
        grams = list(dict.fromkeys(bigrams(canonical(query))))
        bterms = list(dict.fromkeys([*gram_counts, *grams]))
        # Saturate query term frequency: a term repeated in a question matters, but not linearly.
        qw_words = 1.0 + np.log(np.fromiter(word_counts.values(), dtype=np.float64,
                                            count=len(word_counts)))
        qw_grams = np.zeros(len(bterms), dtype=np.float64)
        qw_grams[:len(gram_counts)] = 1.0 + np.log(np.fromiter(
            gram_counts.values(), dtype=np.float64, count=len(gram_counts)))
        gb = self._gather("bigrams", bterms)
        gw = self._gather("words", list(word_counts))
        at = {t: i for i, t in enumerate(bterms)}
        cov = self._coverages(gb, np.asarray([at[t] for t in grams], dtype=np.int64))
        # Each channel max-normalised, weighted, plus the coverage bonus, all over 1 + bonus so
        # the fused score stays in [0, 1]; in place, each array written once or twice.
        bonus = self.cfg.coverage_bonus
        out, other = self._bm25("words", gw, qw_words), self._bm25("bigrams", gb, qw_grams)
        for s, weight in ((out, self.cfg.word_weight), (other, 1.0 - self.cfg.word_weight)):
            top = float(s.max()) if len(s) else 0.0
            s *= weight / top / (1.0 + bonus) if top > 0 else 0.0
        out += other
        if bonus:
            np.multiply(cov, bonus / (1.0 + bonus), out=other)
            out += other
        found = QueryStats(out, cov, {"words": (gw, {t: i for i, t in enumerate(word_counts)}),
                                      "bigrams": (gb, at)})
        if len(self._cache) >= QUERY_CACHE:
            self._cache.pop(next(iter(self._cache)), None)
        self._cache[query] = found
        return found

    @property
    def cache_bytes(self) -> int:
        """Memory this snapshot's kept BM25 saturations hold (bounded by SATURATION_BUDGET)."""
        return sum(s.kept_bytes for s in self._saturations.values())

    def _bm25(self, name: str, g: Gathered, qw: np.ndarray) -> np.ndarray:
        return bm25_scores(g, qw, self._norm[name], self._n_live, self.n_docs, self.cfg.k1,
                           self._saturations[name])

    def _coverages(self, g: Gathered, grams: np.ndarray) -> np.ndarray:
        """Share of the query's bigram weight each row holds; ``grams``: their places in ``g``."""
        if len(grams) == 0:
            return np.zeros(self.n_docs, dtype=np.float64)
        weight = self._weights(g.df[grams])
        total = float(weight.sum())
        if total <= 0:
            return np.zeros(self.n_docs, dtype=np.float64)
        held = np.zeros(len(g.df), dtype=np.float64)
        held[grams] = weight
        cov = accumulate(g, held, self.n_docs)
        cov /= total
        return cov

    def scores(self, query: str) -> np.ndarray:
        """Fused score in [0, 1] of every row for ``query`` (dead rows 0)."""
        return self.stats(query).scores

    def coverages(self, query: str) -> np.ndarray:
        """Share of the query's bigram weight (idf) each row contains, in [0, 1]."""
        return self.stats(query).coverages

    def coverage(self, query: str, row: int) -> float:
        """Share of the query's bigram weight (idf) that row ``row`` contains, in [0, 1]."""
        return float(self.stats(query).coverages[row])

    def _weights(self, df: np.ndarray) -> np.ndarray:
        # A term no live passage holds counts as held by one: maximally specific.
        return bm25_idf(max(self._n_live, 1), np.maximum(df, 1))

    def term_weights(self, terms: list[str]) -> np.ndarray:
        """The bigram channel's live idf of each term (unseen terms count as maximally specific),
        each term read from the postings once per snapshot."""
        known = self._idf_of(terms)
        return np.fromiter((known[t] for t in terms), dtype=np.float64, count=len(terms))

    def _idf_of(self, terms: Iterable[str]) -> dict[str, float]:
        """The kept term -> live idf, holding ``terms`` (read from the postings if new)."""
        known = self._idf
        missing = [t for t in dict.fromkeys(terms) if t not in known]
        if missing:
            if len(known) + len(missing) > IDF_KEPT:
                known = self._idf = {}
            weights = self._weights(self._gather("bigrams", missing, postings=False).df)
            known.update(zip(missing, weights.tolist(), strict=True))
        return known

    def _kept(self, query: str | None, name: str, terms: list[str]
              ) -> tuple[Gathered, list[int]] | None:
        """The postings of ``terms`` that scoring ``query`` read, and their places, if it holds
        them all (a query just scored keeps what it read with its statistics)."""
        stats = self._cache.get(query) if query is not None else None
        found = stats.gathered.get(name) if stats is not None else None
        if found is None or not all(t in found[1] for t in terms):
            return None
        return found[0], [found[1][t] for t in terms]

    def live_frequencies(self, name: str, terms: list[str], query: str | None = None
                         ) -> np.ndarray:
        """How many live passages hold each of ``terms`` in channel ``name`` (``query``: a query
        just scored, whose reads are reused)."""
        kept = self._kept(query, name, terms)
        if kept is not None:
            return kept[0].df[kept[1]]
        return self._gather(name, list(terms), postings=False).df

    def weights_of(self, df: np.ndarray) -> np.ndarray:
        """The live idf of terms with these live frequencies (unseen: maximally specific)."""
        return self._weights(np.asarray(df))

    def holds(self, name: str, row: int, terms: list[str], query: str | None = None
              ) -> np.ndarray:
        """For each of ``terms``, whether row ``row`` holds it in channel ``name`` (``query``: a
        query just scored, whose postings read are searched instead of the index)."""
        out = np.zeros(len(terms), dtype=bool)
        seg = int(np.searchsorted(self.offsets, row, side="right")) - 1
        if seg < 0 or not self.alive[row]:
            return out
        kept = self._kept(query, name, terms)
        if kept is not None:
            held = kept[0].parts[seg][2].terms_held(row - self.offsets[seg])
            out[:] = [place in held for place in kept[1]]
            return out
        postings, local = self.segments[seg][name], row - self.offsets[seg]
        tf = postings.tf
        for i, t in enumerate(terms):
            col = postings.vocab.get(t)
            if col is not None:
                rows = tf.indices[tf.indptr[col]:tf.indptr[col + 1]]
                j = np.searchsorted(rows, local)
                out[i] = j < len(rows) and rows[j] == local
        return out

    def question_similarities(self, query: str, questions: list[str]) -> np.ndarray:
        """idf-weighted Dice overlap of the query's bigrams with each question's, in [0, 1].

        The same figure as comparing question by question; a question's own weight is kept per
        snapshot (the FAQ questions come back with every query).
        """
        q = question_grams(query)
        out = np.zeros(len(questions), dtype=np.float64)
        if not q:
            return out
        sums = self._question_weight
        new = [x for x in dict.fromkeys(questions) if x not in sums]
        if len(sums) + len(new) > IDF_KEPT:
            sums = self._question_weight = {}
            new = list(dict.fromkeys(questions))
        known = self._idf_of(q.union(*(question_grams(x) for x in new)))
        sums.update((x, sum(known[t] for t in question_grams(x))) for x in new)
        sum_q = sum(known[t] for t in q)
        for i, x in enumerate(questions):
            total = sum_q + sums[x]
            if sums[x] > 0 and total > 0:
                out[i] = 2 * sum(known[t] for t in q & question_grams(x)) / total
        return out

    # --- saving ----------------------------------------------------------------------------

    def to_arrays(self) -> dict[str, np.ndarray]:
        """A one-segment index as arrays (compact first; the delta is rebuilt from the database)."""
        assert len(self.segments) == 1 and self.alive.all(), "save a compacted index"
        out: dict[str, np.ndarray] = {}
        for name, p in self.segments[0].items():
            out |= {f"{name}.{k}": v for k, v in p.to_arrays().items()}
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], cfg: LexicalConfig) -> "LexicalIndex":
        """Load from ``to_arrays`` output."""
        seg = {}
        for name in CHANNELS:
            prefix = f"{name}."
            seg[name] = Postings.from_arrays(
                {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)})
        return cls([seg], cfg)


@lru_cache(maxsize=8192)
def question_grams(text: str) -> frozenset[str]:
    """The bigrams of a question (colloquial terms made written), cached: FAQ questions recur."""
    return frozenset(bigrams(canonical(text)))


def tokens_of(docs: Iterable[DocText], cfg: LexicalConfig) -> list[Tokens]:
    """Both channels' tokens of passages (for a delta segment)."""
    return [doc_tokens(d, cfg) for d in docs]
