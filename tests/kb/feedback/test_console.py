"""The agent console's highlighting and 答复口径 scripts."""

import pytest

from kb.feedback.console import highlight, query_terms, script
from kb.search.service import Hit

pytestmark = pytest.mark.no_database  # pure logic: the SQLite run covers it


def hit(**kw) -> Hit:
    base = {"passage_id": 7, "policy_id": 3, "title": "金湖县加快科技型企业培育的奖励办法",
            "doc_number": "金科发〔2024〕8号", "section": "二、（一）", "heading": "", "kind": "clause",
            "text": "首次认定为高新技术企业的，给予一次性奖励20万元。", "score": 1.0, "validity": "有效"}
    return Hit(**(base | kw))


def test_marks_the_query_words():
    out = highlight(text="首次认定为高新技术企业的，给予一次性奖励20万元。", query="高新技术企业认定奖励多少")
    assert "<mark>高新技术企业</mark>" in out and "<mark>认定</mark>" in out and "<mark>奖励</mark>" in out
    assert "<mark>多少</mark>" not in out and out.replace("<mark>", "").replace("</mark>", "") == (
        "首次认定为高新技术企业的，给予一次性奖励20万元。")


def test_abbreviations_mark_the_written_term():
    assert "<mark>高新技术企业</mark>" in highlight(text="高新技术企业奖励", query="高企")


@pytest.mark.parametrize(("text", "query", "expected"), [
    ("<script>alert(1)</script>奖励", "奖励", "&lt;script&gt;alert(1)&lt;/script&gt;<mark>奖励</mark>"),
    ("奖励 & 补贴 \"20\" 'x'", "补贴", "奖励 &amp; <mark>补贴</mark> &quot;20&quot; &#x27;x&#x27;"),
    ("A<b>奖励</b>", "<b>奖励", "A&lt;b&gt;<mark>奖励</mark>&lt;/b&gt;"),  # markup in the query is not markup
    ("没有匹配", "外贸", "没有匹配"),
])
def test_everything_else_is_escaped(text, query, expected):
    assert highlight(text=text, query=query) == expected


def test_overlapping_terms_give_one_mark():
    out = highlight(text="研发费用加计扣除比例", query="研发费用加计扣除 加计扣除")
    assert out.count("<mark>") == 1 and out.startswith("<mark>研发费用加计扣除</mark>")


def test_single_characters_are_not_marked_when_words_exist():
    assert "钱" not in query_terms("高企奖励多少钱")


def test_script_for_a_valid_clause():
    text = script(hit=hit(), hotline="12345")
    assert text.splitlines() == [
        "首次认定为高新技术企业的，给予一次性奖励20万元。",
        "依据：《金湖县加快科技型企业培育的奖励办法》（金科发〔2024〕8号） 二、（一） [有效]",
        "如需进一步咨询可拨打12345。"]


def test_script_for_a_superseded_clause_names_the_successor():
    text = script(hit=hit(validity="已修订", superseded_by={
        "policy_id": 9, "title": "新办法", "doc_number": "金科发〔2025〕1号"}), hotline="0517-12345")
    assert "[已修订]" in text
    assert "注意：该政策当前状态为“已修订”，不再作为办理依据，现行政策为《新办法》（金科发〔2025〕1号），请以新政策为准。" in text
    assert text.endswith("如需进一步咨询可拨打0517-12345。")
    repealed = script(hit=hit(validity="废止"))
    assert "注意：该政策当前状态为“废止”，不再作为办理依据。" in repealed
