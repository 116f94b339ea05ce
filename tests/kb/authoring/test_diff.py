"""Diffs reviewers read: text, flat records and policy version snapshots."""

import time
from datetime import date

import pytest

from kb.authoring.diff import (
    DELETE,
    EQUAL,
    INSERT,
    POLICY_LABELS,
    diff_html,
    field_diffs,
    snapshot_diff,
    text_diff,
)

pytestmark = pytest.mark.no_database  # pure logic: the SQLite run covers it


def apply(segments: list[tuple[str, str]], side: str) -> str:
    keep = {"old": (EQUAL, DELETE), "new": (EQUAL, INSERT)}[side]
    return "".join(text for kind, text in segments if kind in keep)


@pytest.mark.parametrize(("old", "new"), [
    ("对首次认定的高新技术企业给予30万元奖励。", "对首次认定的国家高新技术企业给予一次性50万元奖励。"),
    ("第一条 总则。\n第二条 申报条件。\n第三条 附则。", "第一条 总则。\n第三条 附则。\n第四条 施行。"),
    ("", "全新的内容"), ("全部删除", ""), ("不变", "不变"), ("", ""),
])
def test_segments_rebuild_both_texts(old, new):
    segments = text_diff(old, new)
    assert apply(segments, "old") == old and apply(segments, "new") == new
    assert all(text for _, text in segments)


def test_chinese_is_compared_by_character_with_whole_numbers():
    segments = text_diff("对首次认定的高新技术企业给予30万元奖励。",
                         "对首次认定的国家高新技术企业给予一次性50万元奖励。")
    assert (INSERT, "国家") in segments
    assert (DELETE, "30") in segments and (INSERT, "一次性50") in segments
    assert segments[-1] == (EQUAL, "万元奖励。")


def test_numbers_change_whole():
    assert text_diff("给予最高50万元奖励", "给予最高100万元奖励") == [
        (EQUAL, "给予最高"), (DELETE, "50"), (INSERT, "100"), (EQUAL, "万元奖励")]


def test_a_rewrite_reads_as_a_replacement_not_confetti():
    old, new = "企业申报材料由县科技局审核", "单位申请资料经市工信局复核"
    assert text_diff(old, new) == [(DELETE, old), (INSERT, new)]
    assert text_diff("有效", "失效") == [(DELETE, "有效"), (INSERT, "失效")]
    assert text_diff("有效", "有效") == [(EQUAL, "有效")]


def test_short_equal_runs_between_changes_are_folded_into_the_change():
    segments = text_diff("本办法所称企业申报材料由县科技局审核，审核结果在县政府网站公示。",
                         "本办法所称单位申请资料经市工信局复核，审核结果在县政府网站公示。")
    kinds = [kind for kind, _ in segments]
    # No confetti: no one- or two-character equal run sits between two changes.
    for n in range(1, len(segments) - 1):
        if kinds[n] == EQUAL:
            assert len(segments[n][1]) >= 3
    assert kinds.count(DELETE) <= 2


def test_unchanged_sentences_stay_one_run():
    old = "第一条 为支持企业发展，制定本办法。\n第二条 适用于全县企业。\n第三条 本办法自发布之日起施行。"
    new = old.replace("全县企业", "全县中小企业")
    segments = text_diff(old, new)
    assert segments[0] == (EQUAL, "第一条 为支持企业发展，制定本办法。\n第二条 适用于全县")
    assert (INSERT, "中小") in segments


def test_html_escapes_everything():
    html = diff_html('<script>alert("旧")</script>', '<script>alert("新")</script><b>粗</b>')
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html
    assert "<del>旧</del><ins>新</ins>" in html
    assert str(diff_html("", "<img src=x onerror=alert(1)>")) == \
        "<ins>&lt;img src=x onerror=alert(1)&gt;</ins>"


def test_a_long_text_diffs_quickly():
    para = "第{n}条 对符合条件的企业给予{n}万元奖励，由县有关部门负责审核兑现。\n"
    old = "".join(para.format(n=n) for n in range(600))  # ~20,000 characters
    new = old.replace("第300条 对符合条件的企业给予300万元", "第300条 对符合条件的中小企业给予350万元")
    started = time.perf_counter()
    segments = text_diff(old, new)
    assert time.perf_counter() - started < 2.0
    assert (INSERT, "中小") in segments
    assert [s for s in segments if s[0] == DELETE] == [(DELETE, "300")]


LABELS = {"title": "标题", "themes": "政策主题", "effective_to": "有效期至", "phone": "咨询电话"}


def test_field_diffs_of_a_flat_record():
    old = {"title": "奖励办法", "themes": ["科技创新", "人才"], "effective_to": date(2026, 12, 31),
           "phone": None}
    new = {"title": "奖励办法（修订）", "themes": ["科技创新", "人才"], "effective_to": "2027-12-31",
           "phone": "0517-86881234"}
    diffs = {d.field: d for d in field_diffs(old, new, LABELS)}
    assert list(diffs) == list(LABELS)
    assert diffs["title"].changed and "<ins>（修订）</ins>" in diffs["title"].html
    assert not diffs["themes"].changed and diffs["themes"].new == "科技创新、人才"
    assert diffs["effective_to"].changed and diffs["effective_to"].old == "2026-12-31"
    assert "<del>2026</del><ins>2027</ins>" in diffs["effective_to"].html
    assert diffs["phone"].old == "—" and diffs["phone"].html == "<ins>0517-86881234</ins>"


def test_lists_are_compared_as_lists_and_dates_as_iso():
    diffs = field_diffs({"themes": ["人才"], "effective_to": date(2026, 1, 1)},
                        {"themes": ["人才", "科技创新"], "effective_to": "2026-01-01"}, LABELS)
    by = {d.field: d for d in diffs}
    assert by["themes"].changed and by["themes"].new == "人才、科技创新"
    assert not by["effective_to"].changed
    assert not by["phone"].changed and by["phone"].new == "—"  # absent from both: not a change


def test_new_record_is_all_inserts():
    diffs = field_diffs(None, {"title": "新政策", "themes": ["人才"], "phone": ""}, LABELS)
    by = {d.field: d for d in diffs}
    assert by["title"].changed and by["title"].html == "<ins>新政策</ins>"
    assert by["themes"].html == "<ins>人才</ins>"
    assert not by["phone"].changed and by["phone"].old == "—"


def _snapshot(**changes) -> dict:
    policy = {name: None for name in POLICY_LABELS} | {
        "title": "金湖县加快科技型企业培育的奖励办法", "validity": "有效", "themes": ["科技创新"],
        "effective_to": "2027-05-31", "full_text": "第一条 为加快科技型企业培育，制定本办法。",
        "department_id": 3, "publisher": "王发布"}
    snap = {"policy": policy,
            "interpretations": [{"id": 7, "title": "奖励办法解读", "background": "背景原文",
                                 "purpose": "目的原文", "measures": "举措原文",
                                 "sections": [{"title": "申报时间", "text": "每年三月"}],
                                 "drafter": "李拟稿", "reviewer": "张审核", "publisher": "王发布"}],
            "faq": [{"id": 11, "question": "高企认定奖励多少？", "answer": "30万元", "ordinal": 0,
                     "drafter": None, "reviewer": None, "publisher": None}]}
    for key, value in changes.items():
        snap[key] = value
    return snap


def test_snapshot_diff_of_an_expiry():
    old = _snapshot()
    new = _snapshot()
    new["policy"] = old["policy"] | {"validity": "失效", "publisher": "系统"}
    diff = snapshot_diff(old, new)
    assert diff.summary() == ["效力状态"]  # the sign-off name change is shown, not summarised
    assert [f.label for f in diff.changed_fields] == ["效力状态", "发布人"]
    assert diff.changed_fields[0].html == "<del>有效</del><ins>失效</ins>"
    assert diff.interpretations == [] and diff.faq == []


def test_snapshot_diff_of_interpretations_and_faq():
    old = _snapshot()
    interp = old["interpretations"][0]
    changed = interp | {"measures": "举措新写", "sections": [{"title": "申报时间", "text": "每年四月"}]}
    added = {"id": 8, "title": "图解", "background": "b", "purpose": "p", "measures": "m",
             "sections": [], "drafter": None, "reviewer": None, "publisher": None}
    new_faq = {"id": 12, "question": "什么时候申报？", "answer": "每年四月", "ordinal": 1,
               "drafter": None, "reviewer": None, "publisher": None}
    new = _snapshot(interpretations=[changed, added], faq=[new_faq])
    diff = snapshot_diff(old, new)
    assert diff.summary() == [
        "政策解读：修改《奖励办法解读》（主要举措、其他解读内容）",
        "政策解读：新增《图解》",
        "常见问题：新增“什么时候申报？”",
        "常见问题：删除“高企认定奖励多少？”",
    ]
    (changed_item,) = [i for i in diff.interpretations if i.status == "changed"]
    sections = next(f for f in changed_item.fields if f.field == "sections")
    assert sections.old == "申报时间\n每年三月" and "<del>三</del><ins>四</ins>" in sections.html
    removed = next(i for i in diff.faq if i.status == "removed")
    assert all("<del>" in f.html for f in removed.fields if f.changed)


def test_first_version_and_named_ids():
    new = _snapshot()
    diff = snapshot_diff(None, new, departments={3: "县科技局"})
    assert diff.first and diff.summary() == ["首次发布"]
    dept = next(f for f in diff.policy if f.field == "department_id")
    assert dept.new == "县科技局" and dept.label == "责任部门"
    assert [i.status for i in diff.interpretations] == ["added"]
    assert not snapshot_diff(new, _snapshot()).changed
