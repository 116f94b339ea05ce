"""A clause on a page: parent headings once, its label once."""

import pytest

from kb.library.clauses import clause_body, clause_context

pytestmark = pytest.mark.no_database  # pure logic: the SQLite run covers it


@pytest.mark.parametrize(("section", "heading", "context"), [
    ("第三条", "第三条 重大技改项目奖励", ""),
    ("第四条", "第二章 技术改造支持 > 第四条 设备投资补助", "第二章 技术改造支持"),
    ("三、（二）", "三、加大金融支持", "三、加大金融支持"),
    ("三、（二）", "三、加大金融支持 > （二）贷款贴息", "三、加大金融支持"),
    ("序言", "", ""),
])
def test_context_leaves_out_the_clause_s_own_heading(section, heading, context):
    assert clause_context(section, heading) == context


@pytest.mark.parametrize(("section", "text", "body"), [
    ("第三条", "第三条 重大技改项目奖励。对单个项目……", "重大技改项目奖励。对单个项目……"),
    ("三、", "三、加大支持力度。", "加大支持力度。"),
    ("三、（二）", "（二）贷款贴息按30%给予。", "贷款贴息按30%给予。"),
    ("序言", "金湖县关于……的通知", "金湖县关于……的通知"),
])
def test_body_drops_the_label_printed_in_front(section, text, body):
    assert clause_body(section, text) == body
