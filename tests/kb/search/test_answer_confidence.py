"""The calibrated confidence at the default threshold, and validity questions naming a topic."""

import pytest

from kb.config import Settings
from kb.search.answers import ask
from kb.search.confidence import FEATURES, shipped
from kb.search.service import Searcher
from tests.utils.builders import ingest, write_jsonl

RECORDS = [
    {"id": "jobs", "title": "金湖县失业保险稳岗返还实施办法", "doc_number": "金人社发〔2022〕5号",
     "validity": "失效", "effective_from": "2022-01-01", "effective_to": "2022-12-31",
     "text": "一、返还对象\n上年度未裁员或裁员率低于规定比例的参保企业，可申请稳岗返还。\n"
             "二、返还标准\n按企业上年度实际缴纳失业保险费的百分之五十返还。"},
    {"id": "svc", "title": "金湖县涉企服务改革实施方案", "doc_number": "金审批发〔2024〕4号",
     "text": "一、免申即享\n可以通过部门数据共享确定对象的政策，如稳岗返还、研发奖励，由部门直接兑现。\n"
             "二、一企来窗口\n在政务服务中心设立一企来综合窗口，集中受理涉企政策咨询。"},
]


@pytest.fixture
def searcher(engine, settings, tmp_path) -> Searcher:
    ingest(engine, write_jsonl(tmp_path / "p.jsonl", RECORDS))
    return Searcher(engine, settings)


def answer(searcher, question):
    return ask(searcher=searcher, question=question, threshold=searcher.settings.answer_threshold)


def test_the_shipped_model_rises_with_how_much_of_the_question_a_clause_holds():
    model = shipped()
    low = dict.fromkeys(FEATURES, 0.0) | {"calibrated": 0.2, "words_margin": 0.2}
    high = low | {"calibrated": 0.8, "words_margin": 0.8}
    assert Settings().answer_threshold is None  # the model's own threshold, kept with it
    assert model.probability(low) < model.threshold <= model.probability(high)


def test_a_clause_alone_on_its_subject_is_less_sure_than_one_among_others():
    # The runner-up: a question the knowledge base covers tends to find more than one clause.
    model = shipped()
    alone = dict.fromkeys(FEATURES, 0.0) | {"calibrated": 0.5, "words_margin": 0.4}
    assert model.probability(alone) < model.probability(alone | {"runner_up": 0.2})


def test_a_clear_question_is_answered_at_the_default_threshold(searcher):
    result = answer(searcher, "企业上年度没有裁员，稳岗返还按失业保险费的多少比例返还？")
    assert result.answer_type == "passage" and result.hits[0].section == "二、"
    assert result.confidence >= searcher.confidence_model().threshold


def test_a_validity_question_answers_for_the_policy_its_title_names(searcher):
    # The service plan mentions 稳岗返还 in passing and is valid; the question is about the policy.
    result = answer(searcher, "稳岗返还现在还有吗")
    assert result.answer_type == "passage"
    assert result.answer["doc_number"] == "金人社发〔2022〕5号" and "失效" in result.message


NOTICE = [{"id": "open", "title": "金湖县政务公开工作要点", "doc_number": "金政办发〔2026〕3号",
           "text": "一、主动公开重点领域信息\n围绕财政预算、重大项目和公共资源交易，按规定及时公开相关信息。\n"
                   "二、拓宽政策咨询渠道\n通过12345热线、一企来窗口和政府网站，为市场主体提供政策咨询和解读服务。\n"
                   "三、加强监督考核\n将政务公开纳入年度绩效考核，定期开展督查。"}]


def test_a_small_knowledge_base_answers_a_paraphrase_it_knows_only_part_of(engine, settings,
                                                                          tmp_path):
    # One notice: most of the question's words (公司, 遇到, 看不懂) are nowhere in it, but several
    # of its bigrams are (政策, 通过, 渠道, 咨询): that is a paraphrase, not nonsense.
    ingest(engine, write_jsonl(tmp_path / "n.jsonl", NOTICE))
    searcher = Searcher(engine, settings)
    result = answer(searcher, "公司遇到政策看不懂，可以通过哪些渠道咨询？")
    assert result.answer_type == "passage" and result.hits[0].section == "二、"
    assert answer(searcher, "测试政策甲").answer is None  # two known bigrams: still not answered
