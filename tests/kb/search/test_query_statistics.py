"""What a scored query keeps for the confidence (its terms' live frequencies, which rows hold its
words) equals what a fresh read of the index says, on an index of several segments with rows
removed."""

import numpy as np

from kb.search.lexical import DocText, LexicalConfig, LexicalIndex, tokens_of
from kb.search.text.tokenize import bigrams, words

CFG = LexicalConfig()
BASE = ["高新技术企业认定奖励标准", "企业研发费用加计扣除政策", "稳岗返还申请材料", "外贸企业参加境外展会补助",
        "人才公寓申请条件", "中小企业技术改造设备补助"]
DELTA = ["高新技术企业研发奖励", "技术改造项目申报", "企业参加展会补贴标准"]


def _index() -> LexicalIndex:
    index = LexicalIndex.build([DocText("", "", t) for t in BASE], CFG)
    index = index.extend(tokens_of([DocText("", "", t) for t in DELTA], CFG))
    alive = index.alive.copy()
    alive[[1, 7]] = False  # one row removed from the base, one from the delta
    return index.with_alive(alive)


def test_kept_postings_say_which_rows_hold_the_terms():
    index = _index()
    for question in ("高新技术企业研发奖励多少", "技术改造设备补助怎么申请", "企业参加展会有补贴吗"):
        index.stats(question)
        for channel, terms in (("words", list(dict.fromkeys(words(question)))),
                               ("bigrams", list(dict.fromkeys(bigrams(question))))):
            for row in range(index.n_docs):
                kept = index.holds(channel, row, terms, question)
                read = index.holds(channel, row, terms)
                assert kept.tolist() == read.tolist(), (question, channel, row)
            assert any(index.holds(channel, r, terms, question).any()
                       for r in range(index.n_docs))


def test_kept_frequencies_are_the_live_ones():
    index = _index()
    question = "高新技术企业研发奖励多少"
    index.stats(question)
    terms = list(dict.fromkeys(words(question)))
    kept = index.live_frequencies("words", terms, question)
    assert kept.tolist() == index.live_frequencies("words", terms).tolist()
    assert np.array_equal(index.weights_of(kept),
                          index.weights_of(index.live_frequencies("words", terms)))
    assert kept.max() > 0
