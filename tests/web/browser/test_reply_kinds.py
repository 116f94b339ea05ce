"""The kinds of reply as people see them: in the widget, on /ask, on a policy page, at the console."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from kb.models import Policy
from tests.web.browser.test_admin_workflow import sign_in
from tests.web.browser.test_widget import ANSWERED, ask, open_widget
from tests.web.staff import make_user

pytestmark = pytest.mark.browser

RELATED = "企业上市有奖励吗"  # clauses on the subject (专精特新 firms, "按县上市奖励政策"), none the answer
VAGUE = "补贴"  # a bare subject: never answered, questions to ask instead


def policy_id(site, doc_number: str) -> int:
    """The database id of the demo policy with that 文号."""
    with Session(site.engine) as session:
        return session.exec(select(Policy).where(Policy.doc_number == doc_number)).one().id


def test_answer_shows_its_citation_and_further_clauses_collapsed(site, page, shot):
    open_widget(page, site.host + "/")
    ask(page, ANSWERED)
    answer = page.locator(".pkb-answer").last
    expect(answer.locator(".pkb-docno")).to_have_text("金科发〔2024〕8号")
    expect(answer.locator(".pkb-badge")).to_have_text("有效")
    more = answer.locator("details.pkb-more")
    expect(more.locator("summary")).to_have_text(re.compile(r"^其他相关条款（[12]）$"))
    items = more.locator(".pkb-item")
    expect(items.first).to_be_hidden()  # collapsed until asked for
    assert 1 <= items.count() <= 2
    more.locator("summary").click()
    expect(items.first).to_be_visible()
    expect(items.first.locator(".pkb-rtitle")).to_have_text(re.compile(r"^《.+》$"))
    expect(items.first.locator(".pkb-rbadge")).to_have_text(re.compile("^(有效|失效|废止|已修订)$"))
    expect(items.first.locator(".pkb-ref")).to_have_attribute(
        "href", re.compile(rf"^{re.escape(site.api)}/policies/\d+#"))
    expect(page.locator(".pkb-related")).to_have_count(0)
    shot(page)


def test_related_reply_is_a_list_for_reference_with_the_hotline(site, page, shot):
    open_widget(page, site.host + "/")
    ask(page, RELATED)
    related = page.locator(".pkb-related").last
    expect(related.locator(".pkb-kind")).to_have_text("相关条款，仅供参考")
    items = related.locator(".pkb-item")
    expect(items.first).to_be_visible()
    assert 1 <= items.count() <= 3
    for i in range(items.count()):
        expect(items.nth(i).locator(".pkb-rtitle")).to_have_text(re.compile(r"^《.+》$"))
        expect(items.nth(i).locator(".pkb-ref")).to_have_text("查看原文")
    expect(related.locator("a[href='tel:12345']")).to_have_text("拨打 12345 热线")
    expect(related.locator(".pkb-helpful")).to_be_visible()  # feedback reaches the ledger
    expect(page.locator(".pkb-answer")).to_have_count(0)
    shot(page)


def test_suggestions_are_chips_that_ask_that_question(site, page, shot):
    open_widget(page, site.host + "/")
    ask(page, VAGUE)
    chips = page.locator(".pkb-chips[aria-label='您是不是想问：'] .pkb-chip")
    expect(chips.first).to_be_visible()
    assert 2 <= chips.count() <= 3
    question = chips.first.inner_text()
    chips.first.click()
    expect(page.locator(".pkb-user").last).to_have_text(question)
    # A published FAQ question asked word for word gets that FAQ's answer.
    expect(page.locator(".pkb-answer")).to_have_count(1)
    expect(page.locator(".pkb-answer .pkb-link")).to_have_attribute("href", re.compile(r"#faq$"))
    shot(page)


def test_question_page_answers_with_a_citation_and_lists_related_clauses(site, page, shot):
    page.goto(site.api + "/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="智能问答").click()
    expect(page).to_have_url(site.api + "/ask")
    expect(page.locator("#pkb-launcher")).to_have_count(0)  # in the page, not behind a button
    expect(page.locator("#pkb-panel")).to_be_visible()
    starters = page.locator(".pkb-chips[aria-label='您可以这样问：'] .pkb-chip")
    expect(starters.first).to_be_visible()
    assert 2 <= starters.count() <= 6

    ask(page, ANSWERED)
    answer = page.locator(".pkb-answer").last
    expect(answer.locator(".pkb-title")).to_have_text("《金湖县加快科技型企业培育的奖励办法》")
    expect(answer.locator(".pkb-docno")).to_have_text("金科发〔2024〕8号")
    expect(answer.locator(".pkb-section")).to_have_text(re.compile(r"\S"))
    shot(page, "answer")

    ask(page, RELATED)
    related = page.locator(".pkb-related").last
    expect(related).to_contain_text("相关条款，仅供参考")
    expect(related.locator(".pkb-item").first).to_be_visible()
    expect(related.locator("a[href='tel:12345']")).to_be_visible()
    shot(page, "related")


def test_starter_chip_on_the_question_page_asks_it(site, page, shot):
    page.goto(site.api + "/ask")
    chip = page.locator(".pkb-chips .pkb-chip").first
    question = chip.inner_text()
    chip.click()
    expect(page.locator(".pkb-user").last).to_have_text(question)
    expect(page.locator(".pkb-answer, .pkb-related").first).to_be_visible()
    shot(page)


def test_policy_page_asks_within_that_policy_first(site, page, shot):
    tech = policy_id(site, "金科发〔2024〕8号")
    page.goto(f"{site.api}/policies/{tech}")
    page.locator("#pkb-launcher").click()
    expect(page.locator("#pkb-panel h2")).to_have_text("就本政策提问")
    greeting = page.locator(".pkb-bot").first
    expect(greeting).to_contain_text("请就本政策提问")
    expect(greeting).not_to_contain_text("我是就本政策提问")
    ask(page, ANSWERED)
    answer = page.locator(".pkb-answer").last
    expect(answer.locator(".pkb-link")).to_have_attribute(
        "href", re.compile(rf"/policies/{tech}#"))
    expect(answer.locator(".pkb-scope")).to_have_count(0)
    shot(page, "own")

    other = policy_id(site, "金政发〔2024〕12号")  # the 技改 policy: the question is not about it
    page.goto(f"{site.api}/policies/{other}")
    page.locator("#pkb-launcher").click()
    ask(page, ANSWERED)
    answer = page.locator(".pkb-answer").last
    expect(answer.locator(".pkb-scope")).to_have_text("本政策中未找到答复，以下来自其他政策。")
    expect(answer.locator(".pkb-docno")).to_have_text("金科发〔2024〕8号")
    shot(page, "elsewhere")


def test_agent_console_says_the_kind_of_reply_and_offers_suggestions(site, new_page, shot):
    page: Page = new_page(viewport={"width": 1280, "height": 800})
    make_user(site.engine, "agent1", roles=["agent"], department="县政务服务中心")
    sign_in(page, site.api, "agent1")
    page.goto(site.api + "/agent")
    page.locator("#agent-q").fill(ANSWERED)
    expect(page.locator("#agent-answer .agent-kind")).to_have_text(re.compile("^答复"))
    expect(page.locator(".agent-others")).to_have_text("其他相关条款")
    page.locator("#agent-q").fill(RELATED)
    expect(page.locator("#agent-answer .agent-kind")).to_have_text("相关条款，仅供参考")
    page.locator("#agent-q").fill(VAGUE)
    chips = page.locator("#agent-answer .agent-chip")
    expect(chips.first).to_be_visible()
    question = chips.first.inner_text()
    chips.first.click()
    expect(page.locator("#agent-q")).to_have_value(question)
    expect(page.locator("#agent-answer .agent-kind")).to_have_text(re.compile("^答复"))
    shot(page)


def test_a_mistyped_word_is_answered_and_the_widget_says_what_it_searched(site, page, shot):
    open_widget(page, site.host + "/")
    ask(page, "高心技术企业首次认定奖励多少钱")
    expect(page.locator(".pkb-corrected")).to_have_text(
        "已按“高新技术企业”查询（您输入的是“高心技术企业”）")
    expect(page.locator(".pkb-answer").last.locator(".pkb-docno")).to_have_text("金科发〔2024〕8号")
    shot(page)


def test_a_question_typed_right_shows_no_correction(site, page):
    open_widget(page, site.host + "/")
    ask(page, ANSWERED)
    expect(page.locator(".pkb-answer")).to_have_count(1)
    expect(page.locator(".pkb-corrected")).to_have_count(0)


def test_the_agent_console_says_which_terms_it_searched(site, new_page):
    page: Page = new_page(viewport={"width": 1280, "height": 800})
    make_user(site.engine, "agent2", roles=["agent"], department="县政务服务中心")
    sign_in(page, site.api, "agent2")
    page.goto(site.api + "/agent")
    page.locator("#agent-q").fill("高心技术企业首次认定奖励多少钱")
    expect(page.locator("#agent-answer .agent-corrected")).to_have_text(
        "已按“高新技术企业”查询（输入为“高心技术企业”）")
    page.locator("#agent-q").fill(ANSWERED)
    expect(page.locator("#agent-answer .agent-kind")).to_have_text(re.compile("^答复"))
    expect(page.locator("#agent-answer .agent-corrected")).to_have_count(0)
