"""A knowledge base's own vocabulary, and the match of words it does not know to words it does.

A question word the knowledge base has never seen is matched, in this order, by:

- ``pinyin``: a known word that sounds the same (高心技术企业 → 高新技术企业), compared by the
  toneless pinyin of each character (pypinyin);
- ``abbreviation``: a known word whose words start with the characters of the unknown one, in
  order (高企 → 高新技术企业, 电商 → 电子商务);
- ``sibling``: a known word of the same length that shares its first two characters, when the
  rest of the unknown word is itself a known word (稳岗补贴 → 稳岗返还 when only that is known).

Nothing here is a hand list: the vocabulary is built from the published passages and titles
(``from_texts``, or ``of_index`` over the lexical index's word channel, a derived index).

    vocab = Vocabulary.from_texts(["高新技术企业认定奖励", "电子商务发展资金"])
    vocab.expand("电商")          # [("电子商务", "abbreviation")]
    vocab.correct("高心技术企业奖励多少")  # ("高新技术企业奖励多少", [Correction(...)])
"""

import re
import weakref
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

import numpy as np

from kb.search.text.tokenize import STOPWORDS, cut, jieba_tokenizer, normalize, words

if TYPE_CHECKING:
    from kb.search.bm25 import Postings
    from kb.search.lexical import LexicalIndex

_CJK_WORD = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}$")
MAX_TERM = 8  # longer "words" are jieba's compounds of the title, not what people abbreviate
ABBREVIATION_CHARS = (2, 4)  # an abbreviation has this many characters ...
ABBREVIATION_RATIO = 3  # ... and stands for a word at most this many times as long
WAYS = ("pinyin", "abbreviation", "sibling")
PINYIN_MIN = 3  # two-character homophones are too many (有益 / 友谊): only longer words
COMMON = 50  # a word jieba's dictionary counts this often is a real word, not a short form


@lru_cache(maxsize=65536)
def _sound(char: str) -> str:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(char)[0]


def sound(term: str) -> str:
    """The toneless pinyin of a term, character by character (高新 → gao xin)."""
    return " ".join(_sound(c) for c in term)


def _word_freq(term: str) -> int:
    """How often jieba's general dictionary counts ``term`` (0: not a word of the language)."""
    return int(jieba_tokenizer().FREQ.get(term) or 0)


def _starts(term: str) -> set[int]:
    """Where the term's own words begin (高新技术企业: 高新 / 技术 / 企业 → 0, 2, 4)."""
    out = {0}
    for w in words(term):
        at = term.find(w)
        while at >= 0:
            out.add(at)
            at = term.find(w, at + 1)
    return out


@dataclass(frozen=True)
class Correction:
    """One question word replaced by a word of the knowledge base, and how they matched."""

    word: str
    known: str
    how: str  # one of WAYS


class Vocabulary:
    """Words of a knowledge base with the number of passages holding each."""

    def __init__(self, df: dict[str, int], *, layers: "list[Vocabulary] | None" = None) -> None:
        self.df = df
        # A base segment's vocabulary plus a delta's: looked up in each, never copied together,
        # so a publish costs only the delta's words.
        self._layers = layers or [self]

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> "Vocabulary":
        """The words (jieba, search mode) of the texts, counted once per text."""
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(words(text)))
        return cls(dict(df))

    @classmethod
    def of_index(cls, lexical: "LexicalIndex") -> "Vocabulary":
        """The vocabulary of a lexical index's word channel (every segment), cached per segment."""
        vocabs = [_of_postings(segment["words"]) for segment in lexical.segments]
        if not vocabs:
            return cls({})
        return vocabs[0] if len(vocabs) == 1 else cls({}, layers=vocabs)

    def count(self, term: str) -> int:
        """How many passages hold ``term``."""
        return sum(v.df.get(term, 0) for v in self._layers)

    def knows(self, term: str) -> bool:
        """Whether some passage holds ``term``."""
        return any(term in v.df for v in self._layers)

    @cached_property
    def _terms(self) -> list[str]:
        return [t for t in self.df if _CJK_WORD.match(t) and len(t) <= MAX_TERM]

    @cached_property
    def _by_sound(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for t in self._terms:
            out.setdefault(sound(t), []).append(t)
        return out

    @cached_property
    def _by_first(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for t in self._terms:
            out.setdefault(t[0], []).append(t)
        return out

    def _sounding(self, key: str) -> list[str]:
        return [t for v in self._layers for t in v._by_sound.get(key, ())]

    def _starting(self, char: str) -> list[str]:
        return [t for v in self._layers for t in v._by_first.get(char, ())]

    def _best(self, terms: Iterable[str]) -> list[str]:
        # The most used word first, then the shorter, then a fixed order.
        return sorted(set(terms), key=lambda t: (-self.count(t), len(t), t))

    def expand(self, term: str, *, even_known: bool = False) -> list[tuple[str, str]]:
        """Known words for ``term``, best first, each with how it matched (``WAYS``).

        A known term gives ``[(term, "known")]`` (``even_known``: that, then the longer words it
        abbreviates or sounds like, for searching titles); a term matching nothing gives ``[]``.
        """
        term = normalize(term).strip()
        if self.knows(term) and not even_known:
            return [(term, "known")]
        first = [(term, "known")] if self.knows(term) else []
        if not _CJK_WORD.match(term) or len(term) > MAX_TERM:
            return []
        # A word of the language is what the asker meant; only a non-word is a typo.
        out = [(t, "pinyin") for t in self._best(self._sounding(sound(term)))
               if t != term and len(term) >= PINYIN_MIN and not _word_freq(term)]
        if (ABBREVIATION_CHARS[0] <= len(term) <= ABBREVIATION_CHARS[1]
                and _word_freq(term) < COMMON):
            out += [(t, "abbreviation") for t in self._best(self._abbreviated(term))]
        # 稳岗补贴 → 稳岗返还: the specific head (not a word on its own) and a known tail.
        head = term[:2]
        if (len(term) >= 4 and self.knows(term[2:]) and not self.knows(head)
                and not _word_freq(head)):
            out += [(t, "sibling") for t in self._best(
                t for t in self._starting(term[0])
                if len(t) == len(term) and t[:2] == term[:2] and t != term)]
        kept: dict[str, str] = {}  # each word once, with the first way it was found
        for t, how in first + out:
            kept.setdefault(t, how)
        return list(kept.items())

    def _abbreviated(self, short: str) -> list[str]:
        """Known words whose words begin with the characters of ``short``, in order."""
        found = []
        for t in self._starting(short[0]):
            if not len(short) < len(t) <= ABBREVIATION_RATIO * len(short):
                continue
            starts, at = _starts(t), 0
            for ch in short[1:]:
                at = next((i for i in sorted(starts) if i > at and t[i] == ch), -1)
                if at < 0:
                    break
            else:
                found.append(t)
        return found

    def correct(self, question: str) -> tuple[str, list[Correction]]:
        """The question with each word the knowledge base does not know replaced by its best
        match; words it knows are never touched, so a question already found stays found."""
        text = normalize(question)
        out: list[str] = []
        fixes: list[Correction] = []
        tokens = list(cut(text))
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if tok in STOPWORDS or self.knows(tok) or not _CJK_WORD.match(tok):
                out.append(tok)
                i += 1
                continue
            # An unknown word may be a misspelt part of a longer known one (高心 + 技术企业).
            fix = None
            for j in range(min(len(tokens), i + 4), i, -1):
                span = "".join(tokens[i:j])
                if len(span) > MAX_TERM or not _CJK_WORD.match(span):
                    continue
                ways = self.expand(span)
                if ways and ways[0][1] != "known" and (j == i + 1 or ways[0][1] == "pinyin"):
                    fix = (j, Correction(span, ways[0][0], ways[0][1]))
                    break
            if fix is None:
                out.append(tok)
                i += 1
            else:
                i = fix[0]
                fixes.append(fix[1])
                out.append(fix[1].known)
        return "".join(out), fixes


_cache: "weakref.WeakKeyDictionary[Postings, Vocabulary]" = weakref.WeakKeyDictionary()


def _of_postings(postings: "Postings") -> Vocabulary:
    """A segment's vocabulary, with document frequencies from its term columns (CSC: one per
    term), dead rows included until the segment is merged."""
    vocab = _cache.get(postings)
    if vocab is None:
        nnz = np.diff(postings.tf.indptr)
        vocab = Vocabulary({t: int(nnz[i]) for t, i in postings.vocab.items()})
        _cache[postings] = vocab
    return vocab
