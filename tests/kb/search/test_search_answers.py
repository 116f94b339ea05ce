"""Retrieval and answers on the demo knowledge base: citations, threshold, validity, freshness."""

import pytest
from sqlmodel import Session, select

from kb.database.db import session_scope
from kb.errors import InvalidInput
from kb.library.filters import Filters
from kb.library.ingest import ingest_items, load_jsonl
from kb.models import Policy
from kb.search.answers import ask
from kb.search.service import Searcher
from tests.utils.builders import ingest, write_jsonl, write_notice


@pytest.fixture
def searcher(demo_engine, settings) -> Searcher:
    return Searcher(demo_engine, settings)


def answer(searcher, question, threshold=0.3, **kw):
    return ask(searcher=searcher, question=question, threshold=threshold, **kw)


def test_question_phrased_unlike_any_faq_gets_the_right_cited_clause(searcher):
    result = answer(searcher, "首次认定高新技术企业县里奖励多少")
    assert result.answer_type in ("passage", "faq")
    a = result.answer
    assert a["doc_number"] == "金科发〔2024〕8号"
    assert a["validity"] == "有效"
    assert "30万元" in a["text"]
    assert a["citation"].startswith("《金湖县加快科技型企业培育的奖励办法》（金科发〔2024〕8号）")


@pytest.mark.parametrize("question", ["今天天气怎么样", "足球比赛几点开始", "推荐一部好看的电影"])
def test_off_topic_questions_hand_off_to_the_hotline(searcher, question):
    result = answer(searcher, question)
    assert result.answer is None and result.answer_type == "none"
    assert "12345" in result.message
    assert result.confidence < 0.3


@pytest.mark.parametrize("question", ["测试政策甲", "测试政策乙"])
def test_a_question_mostly_in_words_the_knowledge_base_never_saw_is_not_answered(searcher,
                                                                                question):
    # 测试 is in one R&D clause (常规测试); the rest of the question is nowhere.
    result = answer(searcher, question)
    assert result.answer is None and result.answer_type in ("related", "none")
    assert result.confidence <= 0.3


def test_json_shape(searcher):
    data = answer(searcher, "贷款贴息怎么申请", k=3).to_dict()
    assert {"query", "answer", "confidence", "hits"} <= set(data)
    assert len(data["hits"]) <= 3
    assert set(data["hits"][0]) >= {"policy_id", "title", "doc_number", "section", "kind", "text",
                                     "score", "validity"}


def test_hits_are_grouped_by_policy(searcher):
    hits = searcher.search("高新技术企业 奖励", k=10, per_policy=2)
    seen: list[int] = []
    for h in hits:
        if not seen or seen[-1] != h.policy_id:
            assert h.policy_id not in seen, "passages of one policy must be adjacent"
            seen.append(h.policy_id)
    assert all(sum(h.policy_id == p for h in hits) <= 2 for p in seen)


def test_expired_policy_is_labelled_and_superseded_points_to_the_new_one(searcher):
    hits = searcher.search("技术改造 设备投资 补助", k=10)
    old = [h for h in hits if h.doc_number == "金政发〔2021〕18号"]
    new = [h for h in hits if h.doc_number == "金政发〔2024〕12号"]
    assert old and new
    assert old[0].validity == "已修订"
    assert old[0].superseded_by["title"] == new[0].title


def test_filters(searcher, demo_engine):
    hits = searcher.search("补贴", k=20, filters=Filters(validity=["失效"]))
    assert hits and all(h.validity == "失效" for h in hits)
    with Session(demo_engine) as s:
        pid = s.exec(select(Policy.id).where(Policy.doc_number == "金科发〔2024〕8号")).one()
    hits = searcher.search("奖励", k=20, filters=Filters(policy_ids=[pid]))
    assert hits and {h.policy_id for h in hits} == {pid}


@pytest.mark.parametrize(("question", "k"), [("", 5), ("   ", 5), ("问" * 501, 5), ("补贴", 0)])
def test_bad_questions_are_refused(searcher, question, k):
    with pytest.raises(InvalidInput):
        answer(searcher, question, k=k)


def test_a_question_about_one_section_returns_that_section_first(engine, settings, tmp_path):
    ingest(engine, write_notice(tmp_path / "notice.txt"))
    s = Searcher(engine, settings)
    top = s.search("银企对接会多久组织一次", k=3)[0]
    assert top.section == "二、" and top.meta["responsible"]["责任单位"] == ["县地方金融监管局", "县财政局"]


def test_every_process_follows_the_database_version(engine, settings, tmp_path):
    first, second = Searcher(engine, settings), Searcher(engine, settings)
    assert first.search("蓝莓种植", k=1) == [] and second.search("蓝莓种植", k=1) == []
    rec = {"id": "blue", "title": "蓝莓种植补贴办法", "text": "一、种植补贴\n新种植蓝莓每亩补贴800元。"}
    with session_scope(engine) as session:
        ingest_items(session=session, items=load_jsonl(write_jsonl(tmp_path / "b.jsonl", [rec])))
    second.changed()  # read the database on the next search (as after the 0.1 s interval)
    assert second.search("蓝莓种植", k=1)[0].title == "蓝莓种植补贴办法"


def test_a_change_is_followed_on_a_machine_booted_seconds_ago(engine, settings, tmp_path,
                                                              monkeypatch):
    import time

    monkeypatch.setattr(time, "monotonic", lambda: 5.0)  # the clock reads seconds since boot
    s = Searcher(engine, settings)
    s.CHECK_EVERY_S = 3600  # only changed() makes it read the database again
    assert s.search("蓝莓种植", k=1) == []
    rec = {"id": "blue", "title": "蓝莓种植补贴办法", "text": "一、种植补贴\n新种植蓝莓每亩补贴800元。"}
    ingest(engine, write_jsonl(tmp_path / "b.jsonl", [rec]))
    s.changed()
    assert s.search("蓝莓种植", k=1)[0].title == "蓝莓种植补贴办法"


def test_index_on_disk_is_reused_and_a_damaged_one_is_rebuilt(demo_engine, settings):
    Searcher(demo_engine, settings).ensure_fresh()
    arrays = settings.index_dir / "lexical" / "arrays.npz"
    assert arrays.exists() and (settings.index_dir / "lexical" / "meta.json").exists()
    built = arrays.stat().st_mtime_ns
    Searcher(demo_engine, settings).ensure_fresh()
    assert arrays.stat().st_mtime_ns == built  # loaded, not rebuilt
    arrays.write_bytes(arrays.read_bytes()[:100])  # a crash left half a file
    s = Searcher(demo_engine, settings)
    assert s.search("高新技术企业", k=1)
    assert arrays.stat().st_size > 100


def test_searches_in_other_threads_survive_publishes(engine, settings, tmp_path):
    import threading

    ingest(engine, write_notice(tmp_path / "notice.txt"))
    s = Searcher(engine, settings)
    s.ensure_fresh()
    s.CHECK_EVERY_S = 3600  # the searching threads never refresh; this thread does, under them
    errors: list[BaseException] = []
    stop = threading.Event()

    def keep_searching() -> None:
        while not stop.is_set():
            try:
                answer(s, "银企对接会多久组织一次")
                s.search("种植补贴", k=3)
            except BaseException as exc:  # noqa: BLE001 - any failure is the finding
                errors.append(exc)
                return

    threads = [threading.Thread(target=keep_searching) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for n in range(15):
            rec = {"id": f"crop{n}", "title": f"第{n}号作物种植补贴办法",
                   "text": f"一、种植补贴\n种植第{n}号作物每亩补贴{n + 100}元。\n二、申报\n向农业农村局申报。"}
            ingest(engine, write_jsonl(tmp_path / f"c{n}.jsonl", [rec]))
            s.changed()
            s.ensure_fresh()
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    assert s.search("第14号作物种植补贴", k=1)[0].title == "第14号作物种植补贴办法"


def test_a_question_several_policies_answer_alike_gets_related_clauses_not_an_answer(searcher):
    result = answer(searcher, "首次通过高企认定的公司县里奖励多少钱")
    assert result.answer is None and result.answer_type == "related"
    assert 1 <= len(result.hits) <= 3
    assert result.hits[0].doc_number == "金科发〔2024〕8号"  # the right clause is offered first
    assert "仅供参考" in result.message and "12345" in result.message
    assert result.to_dict()["answer_type"] == "related"


@pytest.mark.parametrize("question", ["How do I apply for the tech subsidy?", "subsidy 2024?"])
def test_a_question_without_chinese_gets_a_chinese_reply_asking_for_chinese(searcher, question):
    result = answer(searcher, question)
    assert result.answer is None and result.answer_type == "none" and result.hits == []
    assert "请用中文" in result.message and "12345" in result.message
