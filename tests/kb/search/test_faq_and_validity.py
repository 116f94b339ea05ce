"""FAQ direct answers (question-to-question) and validity-aware ranking, on real SQLite + indexes."""

import pytest

from kb.search.answers import ask
from kb.search.service import Searcher
from tests.utils.builders import ingest, write_jsonl


@pytest.fixture
def searcher(demo_engine, settings) -> Searcher:
    return Searcher(demo_engine, settings)


def answer(searcher, question, **kw):
    return ask(searcher=searcher, question=question, threshold=0.3, **kw)


def test_a_question_close_to_a_published_faq_gets_the_curated_answer_first(searcher):
    result = answer(searcher, "我们公司上了MES系统花了120万，算技改吗")
    assert result.answer_type == "faq"
    a = result.answer
    assert a["question"] == "我们公司上了MES系统，花了120万，这个算技改吗？"
    assert not a["text"].startswith("问：")  # the curated answer itself, not the passage
    assert a["doc_number"] == "金政发〔2024〕12号" and a["validity"] == "有效"
    assert result.hits[0].passage_id == a["passage_id"] and result.hits[0].kind == "faq"
    # The curated answer is given under the clause discipline: matched and clearly the answer.
    assert result.faq_match.score >= 0.75 and result.confidence >= 0.3
    data = result.to_dict()
    assert data["answer_type"] == "faq" and data["faq_threshold"] == 0.75
    assert data["faq_match"]["question"] == a["question"]


def test_a_question_unlike_any_faq_is_answered_from_a_clause(searcher):
    result = answer(searcher, "首次认定高新技术企业奖励多少")
    assert result.answer_type == "passage"
    assert result.faq_match is None or result.faq_match.score < 0.75


def test_the_faq_threshold_is_configurable(searcher):
    question = "我们公司上了MES系统花了120万，算技改吗"
    strict = answer(searcher, question, faq_threshold=0.99)
    assert strict.answer_type == "passage" and strict.to_dict()["faq_threshold"] == 0.99
    searcher.settings.faq_threshold = 0.99  # the default comes from settings (KB_FAQ_THRESHOLD)
    assert answer(searcher, question).answer_type == "passage"


def test_an_faq_of_a_revised_policy_answers_with_a_warning_and_the_successor(searcher):
    result = answer(searcher, "我们还不是规上企业，能申报技改补助吗？")
    assert result.answer_type == "faq"
    assert result.answer["validity"] == "已修订"
    assert "已修订" in result.message and "金湖县推动工业企业技术改造和智能化改造的若干政策措施" in result.message
    assert result.answer["superseded_by"]["title"] == "金湖县推动工业企业技术改造和智能化改造的若干政策措施"


SAME_TEXT = "一、补贴标准\n对新购置冷链物流设备的企业，按设备投资额的15%给予补贴，最高50万元。"


@pytest.mark.parametrize("status", ["失效", "废止", "已修订"])
def test_a_valid_policy_outranks_an_invalid_one_with_the_same_text(engine, settings, tmp_path, status):
    records = [
        {"id": "old", "title": "冷链物流设备补贴办法", "text": SAME_TEXT, "validity": status,
         **({"superseded_by": "new"} if status == "已修订" else {})},
        {"id": "new", "title": "冷链物流设备补贴办法", "text": SAME_TEXT},
    ]
    ingest(engine, write_jsonl(tmp_path / "p.jsonl", records[::-1]))
    hits = Searcher(engine, settings).search("冷链物流设备补贴", k=5)
    assert [h.validity for h in hits] == ["有效", status]
    assert hits[0].score > hits[1].score
    if status == "已修订":
        assert hits[1].superseded_by["policy_id"] == hits[0].policy_id
