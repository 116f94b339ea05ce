"""The word channel's tokeniser: jieba's search mode, spelt out over a cut shared with the
corrections, must cut exactly as jieba's own ``cut_for_search`` does."""

from bench.peers import jieba_words
from bench.search import generate
from kb.demo import demo_files
from kb.search.text.tokenize import cut, normalize, words


def test_words_are_jiebas_search_mode_on_policy_text_and_questions():
    _, passages = generate(2000, seed=3)
    texts = [p["text"] for p in passages] + [p["heading"] for p in passages if p["heading"]]
    texts += [line for path in demo_files() for line in path.read_text("utf-8").splitlines()][:500]
    texts += ["高心技术企业认定奖励多少？", "ＡＢＣ２０２４年 稳岗返还", "  ", "what subsidies"]
    assert len(texts) > 2000
    for text in texts:
        assert words(text) == jieba_words(text), text  # jieba's own cut_for_search


def test_the_precise_cut_is_shared_and_rejoins_into_the_text():
    text = normalize("企业申报专项扶持资金需要哪些材料？")
    assert "".join(cut(text)) == text
    assert cut(text) is cut(text)  # cut once, read by the corrections and the word channel
