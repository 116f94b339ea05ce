"""The questions people really type: bare subjects, "is it still valid?", superseded policies."""

import pytest

from kb.search.answers import ask
from kb.search.service import Searcher
from tests.utils.builders import ingest, write_jsonl

OLD = ("一、补助标准\n企业购置冷库、冷藏车等冷链仓储设备的，按设备投资额的百分之十给予补助，"
       "单个企业最高三十万元。\n"
       "二、申报方式\n每年三月向县商务局提出申请。")
NEW = ("一、补助标准\n企业购置冷链仓储设备的，按设备投资额的百分之十五给予补助，单个企业最高五十万元。\n"
       "二、申报方式\n每年四月向县商务局提出申请。")
RECORDS = [
    {"id": "cold-2024", "title": "金湖县冷链仓储设备补助办法", "doc_number": "金商发〔2024〕3号",
     "text": NEW, "effective_from": "2024-01-01", "apply_from": "2026-04-01",
     "apply_to": "2026-04-30",
     "faq": [{"question": "冷链仓储设备补助最高能补多少钱？", "answer": "按设备投资额的15%，最高50万元。"},
             {"question": "冷链仓储设备补助什么时候申报？", "answer": "每年四月向县商务局申请。"}]},
    {"id": "cold-2021", "title": "金湖县冷链仓储设备补助暂行办法", "doc_number": "金商发〔2021〕9号",
     "text": OLD, "validity": "已修订", "superseded_by": "cold-2024",
     "effective_from": "2021-03-01", "effective_to": "2023-12-31"},
    {"id": "jobs", "title": "金湖县失业保险稳岗返还实施办法", "doc_number": "金人社发〔2022〕5号",
     "validity": "失效", "effective_from": "2022-01-01", "effective_to": "2022-12-31",
     "text": "一、返还对象\n上年度未裁员或裁员率低于规定比例的参保企业，可申请稳岗返还。\n"
             "二、返还标准\n按企业上年度实际缴纳失业保险费的百分之五十返还。"},
    {"id": "farm", "title": "金湖县家庭农场培育办法", "doc_number": "金农发〔2024〕2号",
     "text": "一、认定条件\n经营土地面积五十亩以上、以家庭成员为主要劳动力的，可认定为家庭农场。\n"
             "二、奖励\n新认定的省级示范家庭农场奖励五万元。"},
]


@pytest.fixture
def searcher(engine, settings, tmp_path) -> Searcher:
    ingest(engine, write_jsonl(tmp_path / "p.jsonl", RECORDS))
    return Searcher(engine, settings)


def answer(searcher, question):
    return ask(searcher=searcher, question=question, threshold=0.3)


@pytest.mark.parametrize("question", ["补贴", "冷链", "政策"])
def test_a_bare_subject_is_never_answered_but_offers_policies_and_questions(searcher, question):
    result = answer(searcher, question)
    assert result.answer is None and result.answer_type in ("related", "none")
    assert len(result.hits) <= 3 and "12345" in result.message


def test_a_bare_subject_suggests_questions_from_published_faq(searcher):
    result = answer(searcher, "冷链")
    assert result.answer_type == "related"
    assert 1 <= len(result.suggestions) <= 3
    assert set(result.suggestions) <= {"冷链仓储设备补助最高能补多少钱？", "冷链仓储设备补助什么时候申报？"}
    assert result.to_dict()["suggestions"] == result.suggestions


def test_a_validity_question_is_answered_from_the_policys_own_fields(searcher):
    result = answer(searcher, "稳岗返还现在还有吗")
    assert result.answer_type == "passage"
    facts = result.answer["validity_facts"]
    assert facts["doc_number"] == "金人社发〔2022〕5号" and facts["validity"] == "失效"
    assert facts["effective_to"] == "2022-12-31"
    assert "失效" in result.message and "2022年12月31日" in result.message


def test_a_validity_question_naming_a_year_gets_that_policy_and_its_successor(searcher):
    result = answer(searcher, "冷链仓储设备补助 2021年那个政策还有效吗")
    facts = result.answer["validity_facts"]
    assert facts["doc_number"] == "金商发〔2021〕9号" and facts["validity"] == "已修订"
    assert facts["superseded_by"]["doc_number"] == "金商发〔2024〕3号"
    assert facts["superseded_by"]["url"].endswith(f"/policies/{facts['superseded_by']['policy_id']}")
    assert "金湖县冷链仓储设备补助办法" in result.message


def test_the_application_window_is_part_of_a_validity_answer(searcher):
    result = answer(searcher, "冷链仓储设备补助还能申请吗")
    facts = result.answer["validity_facts"]
    assert facts["doc_number"] == "金商发〔2024〕3号" and facts["apply_to"] == "2026-04-30"
    assert "申报时间" in result.message and "2026年4月30日" in result.message


def test_the_valid_successor_answers_before_the_superseded_policy(searcher):
    # Only the old text names 冷库 and 冷藏车, so its clause ranks first on words alone.
    result = answer(searcher, "买冷库冷藏车这些设备能补助多少")
    assert result.hits[0].doc_number == "金商发〔2024〕3号" and result.hits[0].validity == "有效"
    old = [h for h in result.hits if h.doc_number == "金商发〔2021〕9号"]
    assert old and old[0].validity == "已修订"  # shown below, with its label
    if result.answer is not None:
        assert result.answer["doc_number"] == "金商发〔2024〕3号"


@pytest.mark.parametrize("question", ["明天会下雨吗", "足球世界杯谁是冠军", "测试政策甲乙丙"])
def test_questions_outside_the_knowledge_base_get_no_answer(searcher, question):
    assert answer(searcher, question).answer is None
