"""Tokenisers for Chinese policy text: jieba words with a domain dictionary, and character bigrams."""

import re
import threading
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jieba
    from jieba.posseg import POSTokenizer

# Function words and politeness that carry no topic; kept short on purpose: BM25's idf already
# discounts the common ones, this only drops tokens that match nearly every question.
STOPWORDS = frozenset(
    """的 了 和 与 及 或 等 是 在 对 为 以 于 把 被 将 从 向 由 其 之 也 而 并 且 就 都 要 会 能 可 可以
    吗 呢 吧 啊 呀 么 嘛 哪 哪些 什么 怎么 怎样 如何 怎么办 多少 几 是否 有没有 有 没有 请问 请 您 你 我 我们
    你们 他们 咱们 这 那 这个 那个 这些 那些 一下 一个 个 些 还 又 再 就是 还是 已经 应该 需要 想 想要 该
    该如何 哪里 哪儿 时候 ？ ? ， , 。 . ！ ! 、 ： : ； ; “ ” " ' （ ） ( ) 《 》 【 】 … — - ·""".split()
)

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_ALNUM_RUN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
TOKEN_OK = re.compile(f"[{_CJK}a-z0-9]")

_jieba_lock = threading.Lock()


def normalize(text: str) -> str:
    """NFKC (full-width to half-width) and lower case, so ２０２４ and 2024 match."""
    return unicodedata.normalize("NFKC", text).lower()


@lru_cache(maxsize=1)
def jieba_tokenizer() -> "jieba.Tokenizer":
    """A jieba tokenizer with the policy-domain dictionary, built on first use only."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    with _jieba_lock:
        tok = jieba.Tokenizer()
        tok.initialize()
        userdict = resources.files("kb.search.text").joinpath("userdict.txt")
        with resources.as_file(userdict) as path:
            tok.load_userdict(str(path))
    return tok


def words(text: str) -> list[str]:
    """jieba search-mode words (long compounds plus their parts), without stopwords."""
    return list(_words(text))


@lru_cache(maxsize=256)
def cut(text: str) -> tuple[str, ...]:
    """jieba's precise cut of ``text`` (already normalised), kept for the last 256 texts.

    One question is cut several times while it is answered (the corrections, the channels, the
    confidence), as the same text or with a synonym inserted: jieba cuts each run of Chinese on
    its own, so the runs are cut once and kept (the same words as cutting the whole text).
    """
    import jieba

    han = jieba.re_han_default
    out: list[str] = []
    for block in han.split(text):
        if block:
            out.extend(_cut_run(block) if han.match(block) else jieba_tokenizer().cut(block))
    return tuple(out)


@lru_cache(maxsize=4096)
def _cut_run(run: str) -> tuple[str, ...]:
    # jieba's DAG and HMM over one run of Chinese (and ASCII words), the costly part of a cut.
    return tuple(jieba_tokenizer().cut(run))


@lru_cache(maxsize=256)
def _words(text: str) -> tuple[str, ...]:
    # jieba's search mode (Tokenizer.cut_for_search) spelt out over the shared precise cut: each
    # word longer than two characters adds its known two- and three-character parts first.
    freq = jieba_tokenizer().FREQ
    out = []
    for word in cut(normalize(text)):
        parts = []
        if len(word) > 2:
            parts += [g for i in range(len(word) - 1) if freq.get(g := word[i:i + 2])]
        if len(word) > 3:
            parts += [g for i in range(len(word) - 2) if freq.get(g := word[i:i + 3])]
        for w in (*parts, word):
            w = w.strip()
            if w and w not in STOPWORDS and TOKEN_OK.search(w):
                out.append(w)
    return tuple(out)


def bigrams(text: str) -> list[str]:
    """Overlapping character bigrams of each CJK run (a lone character stands alone), plus ASCII words."""
    text = normalize(text)
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            if run not in STOPWORDS:
                out.append(run)
            continue
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    out.extend(_ALNUM_RUN.findall(text))
    return out


@lru_cache(maxsize=1)
def _tagger() -> "POSTokenizer":
    """jieba's part-of-speech tagger over the same dictionary, built on first use only."""
    from jieba.posseg import POSTokenizer

    tagger = POSTokenizer(jieba_tokenizer())
    tagger.makesure_userdict_loaded()  # the domain dictionary's tags, into word_tag_tab
    return tagger


@lru_cache(maxsize=256)
def places(text: str) -> tuple[str, ...]:
    """The place names (jieba's ``ns`` tag) in ``text``, in order; dictionary words only (the HMM
    for unknown words cost 2.6 ms a question and found no place the dictionary does not hold).

    Read off the shared precise cut with the tagger's word table: the tagger's own pass cost as
    much as the rest of the semantic confidence, and gives the same places for questions.
    """
    table, freq = _tagger().word_tag_tab, jieba_tokenizer().FREQ
    return tuple(dict.fromkeys(w for w in cut(normalize(text))
                               if len(w) > 1 and freq.get(w) and table.get(w) == "ns"))
