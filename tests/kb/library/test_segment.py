"""Segmentation of Chinese policy texts into citable passages."""

import pytest

from kb.library.segment import MAX_PASSAGE_CHARS, segment
from tests.utils.builders import NOTICE

pytestmark = pytest.mark.no_database  # pure logic: the SQLite run covers it


def test_notice_gives_one_passage_per_numbered_section_with_responsible_units():
    _, segs = segment(NOTICE)
    clauses = [s for s in segs if s.section != "序言"]
    assert [s.section for s in clauses] == ["一、", "二、", "三、", "四、"]
    assert clauses[1].heading == "二、开展融资对接活动"
    assert clauses[1].meta == {"responsible": {"责任单位": ["县地方金融监管局", "县财政局"]}}
    # The closing issuer and date are not part of the last clause.
    assert "2025年2月18日" not in clauses[-1].text
    assert clauses[-1].text.endswith("（责任单位：县人社局）")


def test_offsets_point_into_the_prepared_text():
    text, segs = segment(NOTICE)
    for s in segs:
        assert text[s.start : s.end].strip() == s.text


ARTICLES = """第一章 总则
第一条 为支持企业发展，制定本办法。
第二条 本办法适用于县内注册的企业。
第二章 扶持措施
第三条 对新认定的专精特新中小企业给予奖励：
（一）国家级专精特新“小巨人”企业奖励50万元；
（二）省级专精特新中小企业奖励20万元。
第四条 本办法自2024年1月1日起施行。
""" + "说明文字。" * 120


def test_articles_under_chapters_keep_the_chapter_as_heading_context():
    _, segs = segment(ARTICLES)
    by_label = {s.section: s for s in segs}
    assert {"第一条", "第二条", "第三条", "第四条"} <= set(by_label)
    assert by_label["第三条"].heading.startswith("第二章 扶持措施")
    assert "小巨人" in by_label["第三条"].text  # sub-items stay with their short article


def test_long_clause_is_split_by_sub_items_with_the_parent_heading_kept():
    items = "".join(f"（{n}）第{n}项措施，" + "具体内容说明。" * 30 + "\n" for n in "一二三")
    text = "一、总体要求\n" + "总体要求说明。" * 5 + "\n二、支持措施\n" + items
    _, segs = segment(text)
    labels = [s.section for s in segs]
    assert labels[-3:] == ["二、（一）", "二、（二）", "二、（三）"]
    assert all(s.heading.startswith("二、支持措施") for s in segs[-3:])
    assert all(len(s.text) <= MAX_PASSAGE_CHARS for s in segs)


def test_long_paragraph_without_structure_is_cut_at_sentence_ends():
    text = "一、办理流程\n" + "企业通过平台在线提交申请材料，窗口当场受理。" * 60 + "\n二、附则\n本办法自印发之日起施行。"
    _, segs = segment(text)
    first = [s for s in segs if s.section == "一、"]
    assert len(first) >= 2
    assert all(s.text.endswith("。") for s in first)


@pytest.mark.parametrize(
    ("line", "label"),
    [("第十二条 补贴标准", "第十二条"), ("三、申报条件", "三、"), ("（二）支持对象", "（二）"),
     ("1.申报时间", "1"), ("（3）其他", "（3）")],
)
def test_numbering_styles_are_recognised(line, label):
    filler = "相关说明文字。" * 100
    _, segs = segment(f"前言说明。\n{line}\n{filler}\n")
    assert any(s.section.endswith(label) for s in segs)


def test_inline_markers_of_a_one_line_text_are_split():
    text = "关于支持复工复产的通知 各有关单位： 一、减免房租 对承租国有房产的中小企业免收一个月房租。" + "说明。" * 100 + " 二、延期缴纳社保 受影响企业可延期缴纳社会保险费。" + "说明。" * 100
    _, segs = segment(text)
    assert [s.section for s in segs if s.section != "序言"][:2] == ["一、", "二、"]


def test_short_unstructured_answer_stays_whole():
    text = "1、携带身份证原件。2、填写申请表。3、到窗口办理。"
    _, segs = segment(text)
    assert len(segs) == 1 and segs[0].section == "全文"
