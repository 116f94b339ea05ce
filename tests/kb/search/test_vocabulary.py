"""Words a knowledge base does not know, matched to its own by sound, abbreviation or shared head."""

import pytest

from kb.search.answers import ask
from kb.search.service import Searcher
from kb.search.text.vocabulary import Vocabulary
from tests.utils.builders import ingest, write_jsonl

TEXTS = ["对首次认定的高新技术企业给予一次性奖励二十万元",
         "支持电子商务发展，对电子商务企业的网络销售额给予奖励",
         "上年度未裁员的参保企业可申请稳岗返还",
         "首台套重大技术装备投保的，给予保费补贴"]


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary.from_texts(TEXTS)


@pytest.mark.parametrize(("term", "known", "how"), [
    ("高心技术企业", "高新技术企业", "pinyin"),
    ("高企", "高新技术企业", "abbreviation"),
    ("电商", "电子商务", "abbreviation"),
    ("稳岗补贴", "稳岗返还", "sibling"),
])
def test_an_unknown_word_is_matched_to_a_known_one(vocab, term, known, how):
    assert vocab.expand(term)[0] == (known, how)


def test_a_known_word_is_itself(vocab):
    assert vocab.expand("首台套") == [("首台套", "known")]


@pytest.mark.parametrize("term", ["火锅", "有益", "天气预报"])
def test_a_word_of_the_language_or_of_nothing_in_the_base_is_not_matched(vocab, term):
    # 有益 sounds like nothing here; a real word is what the asker meant, never "corrected".
    assert vocab.expand(term) == []


def test_two_character_homophones_of_real_words_are_left_alone():
    vocab = Vocabulary.from_texts(["两国人民的传统友谊"])
    assert vocab.expand("有益") == []  # yǒuyì, like 友谊, but a word of its own


def test_correct_replaces_only_words_the_base_does_not_know(vocab):
    fixed, fixes = vocab.correct("高心技术企业能拿多少奖励")
    assert fixed.startswith("高新技术企业")
    assert [(f.word, f.known, f.how) for f in fixes] == [("高心技术企业", "高新技术企业", "pinyin")]
    assert vocab.correct("高新技术企业能拿多少奖励") == ("高新技术企业能拿多少奖励", [])
    assert vocab.correct("What is this") == ("what is this", [])


def test_the_vocabulary_of_an_index_is_its_word_channel(engine, settings, tmp_path):
    ingest(engine, write_jsonl(tmp_path / "p.jsonl", [
        {"id": "ec", "title": "金湖县电子商务发展扶持办法", "text": TEXTS[1]}]))
    s = Searcher(engine, settings)
    s.ensure_fresh()
    vocab = Vocabulary.of_index(s.lexical)
    assert vocab.knows("电子商务") and not vocab.knows("电商")
    assert vocab.count("电子商务") == 1  # one passage holds it
    assert Vocabulary.of_index(s.lexical) is vocab  # cached with the segment it describes


RECORDS = [
    {"id": "hte", "title": "金湖县高新技术企业培育奖励办法", "doc_number": "金科发〔2024〕8号",
     "text": "一、认定奖励\n对首次认定的高新技术企业，一次性奖励二十万元。\n"
             "二、培育入库\n入库培育企业给予五万元研发补助。"},
    {"id": "ec", "title": "金湖县电子商务发展扶持办法", "doc_number": "金商发〔2024〕6号",
     "text": "一、网络零售奖励\n电子商务企业年网络零售额首次超过一亿元的，奖励十万元。\n"
             "二、平台建设\n建设县域电子商务公共服务平台的，给予补助。"},
    {"id": "farm", "title": "金湖县家庭农场培育办法", "doc_number": "金农发〔2024〕2号",
     "text": "一、认定条件\n经营土地面积五十亩以上的，可认定为家庭农场。"},
]


@pytest.fixture
def searcher(engine, settings, tmp_path) -> Searcher:
    ingest(engine, write_jsonl(tmp_path / "p.jsonl", RECORDS))
    return Searcher(engine, settings)


def test_a_mistyped_question_finds_the_policy_it_meant_and_says_how(searcher):
    result = ask(searcher=searcher, question="高心技术企业首次认定奖励多少钱",
                 threshold=searcher.settings.answer_threshold)
    assert result.hits[0].doc_number == "金科发〔2024〕8号" and result.hits[0].section == "一、"
    assert result.query == "高心技术企业首次认定奖励多少钱"  # shown as typed
    assert result.to_dict()["corrections"] == [
        {"word": "高心技术企业", "known": "高新技术企业", "how": "pinyin"}]


def test_an_abbreviation_finds_the_written_term(searcher):
    result = ask(searcher=searcher, question="电商企业网络零售额过亿有什么奖励",
                 threshold=searcher.settings.answer_threshold)
    assert result.hits[0].doc_number == "金商发〔2024〕6号" and result.hits[0].section == "一、"
    assert [(c.word, c.known) for c in result.corrections] == [("电商", "电子商务")]


def test_a_correctly_written_question_is_searched_as_written(searcher):
    result = ask(searcher=searcher, question="高新技术企业首次认定奖励多少钱",
                 threshold=searcher.settings.answer_threshold)
    assert result.corrections == [] and result.hits[0].section == "一、"
    assert result.answer_type == "passage"  # clearly the answer, at the default threshold


def test_words_of_a_policy_published_after_the_index_was_built_are_known(searcher, engine,
                                                                       tmp_path):
    searcher.ensure_fresh()
    ingest(engine, write_jsonl(tmp_path / "more.jsonl", [
        {"id": "agri", "title": "金湖县农产品加工园区建设办法", "text": "对农产品加工企业给予补助。"}]))
    searcher.changed()
    searcher.ensure_fresh()
    assert len(searcher.lexical.segments) > 1  # the new policy sits in a delta segment
    vocab = Vocabulary.of_index(searcher.lexical)
    assert vocab.knows("农产品") and vocab.knows("电子商务")
    assert vocab.expand("农产拼")[0] == ("农产品", "pinyin")


def test_even_a_known_abbreviation_expands_for_title_search():
    vocab = Vocabulary.from_texts(["支持高新技术企业发展", "高企可以申请", "电子商务进农村"])
    assert vocab.expand("高企") == [("高企", "known")]
    assert vocab.expand("高企", even_known=True)[:2] == [("高企", "known"),
                                                       ("高新技术企业", "abbreviation")]
