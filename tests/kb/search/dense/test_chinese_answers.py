"""Answers on the demo knowledge base with the bundled Chinese model, as an owner would ask.

The demo's vectors ship with the package, so only the questions are encoded here (about 20 ms
each); the ranking is the shipped fusion and the confidence the shipped semantic model.
"""

import pytest

from kb.config import Settings
from kb.search.answers import ask
from kb.search.faq import best_faq
from kb.search.service import Searcher, load_configured_encoder


@pytest.fixture(scope="module")
def e5(tmp_path_factory):
    encoder = load_configured_encoder(Settings(home=tmp_path_factory.mktemp("e5")))
    assert encoder is not None
    return encoder


@pytest.fixture
def searcher(demo_engine, settings, e5) -> Searcher:
    s = Searcher(demo_engine, settings, encoder=e5)
    s.ensure_fresh()
    return s


def reply(searcher, question):
    return ask(searcher=searcher, question=question)


def test_the_demo_ranks_with_the_shipped_fusion_and_embeds_nothing(searcher, settings):
    assert searcher.setting.mode == "hybrid"
    assert searcher.confidence_model().features[-1] != "runner_up"  # the semantic model
    # Every vector came from the package: the cache file holds none computed here.
    assert len(searcher.dense.cache) == 0 and searcher.dense.index.ids().size > 300


@pytest.mark.parametrize(("question", "doc_number"), [
    ("厂里买了新设备搞技术改造，县里能补贴多少？", "金政发〔2024〕12号"),
    ("首次认定高企的公司县里奖励多少钱", "金科发〔2024〕8号"),
    ("技改贷款贴息比例是多少", "金政发〔2024〕12号"),
])
def test_owner_questions_are_answered_from_the_right_policy(searcher, question, doc_number):
    result = reply(searcher, question)
    assert result.answer_type in ("passage", "faq"), (result.confidence, result.threshold)
    assert result.answer["doc_number"] == doc_number
    assert result.ranking.startswith("hybrid")


def test_a_validity_question_about_an_older_policy_names_its_successor(searcher):
    result = reply(searcher, "2019年那个技术改造的政策现在还有效吗")
    assert result.answer["doc_number"] == "金政发〔2021〕18号"  # the older one, nearest in year
    assert "已修订" in result.message and "金政发〔2024〕12号" in result.message


def test_a_faq_question_is_matched_by_meaning(searcher):
    # Shares almost no words with "什么叫首贷户？怎么证明？" or the 300万 interest FAQ.
    question = "第一次跟银行借钱的小公司利息能补多少"
    match = best_faq(searcher, question, searcher.candidates(question))
    assert match is not None and "贷" in match.question
    lexical = Searcher(searcher.engine, searcher.settings)
    plain = best_faq(lexical, question, lexical.candidates(question))
    assert plain is None or match.score > plain.score


@pytest.mark.parametrize("question", ["户口从外地迁到金湖需要办哪些手续", "个人公积金怎么提取"])
def test_another_public_service_is_not_answered_from_a_policy(searcher, question):
    assert reply(searcher, question).answer_type not in ("passage", "faq")


def test_a_pinyin_typo_is_still_answered(searcher):
    clean = reply(searcher, "高新技术企业认定奖励多少")
    typo = reply(searcher, "高新技术企页认定奖励多少")
    assert [c.known for c in typo.corrections] == ["高新技术企业"]
    assert typo.answer_type == clean.answer_type != "none"
    assert typo.answer["policy_id"] == clean.answer["policy_id"]


@pytest.mark.parametrize("question", [
    "21年出的那个技改政策还能用吗",  # a two-digit year
    "金政发〔2021〕18号目前的效力状态",  # the 文号 itself
    "2021年那个技改政策被哪个文件代替了",  # asked for its successor
])
def test_validity_questions_name_the_policy_as_people_do(searcher, question):
    result = reply(searcher, question)
    assert result.answer["doc_number"] == "金政发〔2021〕18号"
    assert "金政发〔2024〕12号" in result.message
