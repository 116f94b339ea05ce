"""The word channel's tokeniser: jieba's search mode, spelt out over a cut shared with the
corrections, must cut exactly as jieba's own ``cut_for_search`` does."""

from bench.peers import jieba_words
from bench.synthetic import generate
from kb.demo import demo_files
from kb.search.text.tokenize import _tagger, cut, jieba_tokenizer, normalize, places, words


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


def test_the_cut_run_by_run_is_jiebas_cut_of_the_whole_text():
    texts = ["首次认定高企 高新技术企业 的公司县里奖励多少钱", "技改 技术改造 设备投资能补多少",
             "ABC-2024.5% 稳岗返还，２０２４年\n第三条（一）", "", "  ", "what subsidies?"]
    _, passages = generate(300, seed=5)
    texts += [p["text"] for p in passages]
    for text in texts:
        text = normalize(text)
        assert cut(text) == tuple(jieba_tokenizer().cut(text)), text


def test_places_are_the_taggers_dictionary_places():
    questions = ["金湖县的企业去南京参展有补贴吗", "淮安市级和江苏省的政策一样吗",
                 "在上海开分公司还能享受县里的奖励吗", "厂里买了新设备搞技术改造，县里能补贴多少？"]
    tagger = _tagger()
    for q in questions:
        want = tuple(dict.fromkeys(w for w, flag in tagger.cut(normalize(q), HMM=False)
                                   if flag == "ns" and len(w) > 1))
        assert places(q) == want, q
    assert places(questions[0])[:2] == ("金湖县", "南京")
    assert places(questions[3]) == ()
