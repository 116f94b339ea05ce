"""Answers kept for questions asked again: the same answer while nothing moved, never a stale one."""

from datetime import UTC, datetime, timedelta

from kb import clock
from kb.search.answers import ask
from kb.search.service import Searcher
from tests.utils.builders import ingest, write_jsonl

QUESTION = "冷链物流设备投资有补贴吗"


def test_a_question_asked_again_gets_the_kept_answer(demo_engine, settings):
    searcher = Searcher(demo_engine, settings)
    first = ask(searcher=searcher, question="首次认定高新技术企业奖励多少")
    again = ask(searcher=searcher, question="首次认定高新技术企业奖励多少")
    assert again == first and again is not first
    assert searcher.answers.hits == 1
    other = ask(searcher=searcher, question="首次认定高新技术企业奖励多少", k=2)
    assert len(other.hits) <= 2 and searcher.answers.hits == 1  # other options: worked out


def test_a_publication_is_answered_at_once_not_the_kept_answer(engine, settings, tmp_path):
    searcher = Searcher(engine, settings)
    ingest(engine, write_jsonl(tmp_path / "a.jsonl", [{
        "id": "t-1", "title": "金湖县促进服务业发展的若干措施", "department": "县发改委",
        "text": "一、对新认定的省级服务业集聚区奖励50万元。"}]))
    before = ask(searcher=searcher, question=QUESTION)
    assert before.answer_type != "passage"
    ingest(engine, write_jsonl(tmp_path / "b.jsonl", [{
        "id": "t-2", "title": "金湖县冷链物流设备补贴办法", "department": "县商务局",
        "text": "一、补贴标准\n对新购置冷链物流设备的企业，按设备投资额的15%给予补贴，最高50万元。"}]))
    searcher.changed()  # (a served app hears of its own commits so; others within 0.1 s)
    after = ask(searcher=searcher, question=QUESTION)
    assert after.hits and after.hits[0].title == "金湖县冷链物流设备补贴办法"


def test_kept_answers_go_at_the_county_midnight_and_can_be_turned_off(demo_engine, settings):
    searcher = Searcher(demo_engine, settings)
    ask(searcher=searcher, question="技改贷款贴息比例是多少")
    with clock.freeze(datetime.now(UTC) + timedelta(days=1)):  # validity is judged by the day
        ask(searcher=searcher, question="技改贷款贴息比例是多少")
    assert searcher.answers.hits == 0
    settings.answer_cache = 0
    off = Searcher(demo_engine, settings)
    ask(searcher=off, question="技改贷款贴息比例是多少")
    ask(searcher=off, question="技改贷款贴息比例是多少")
    assert off.answers.hits == 0 and len(off.answers) == 0
