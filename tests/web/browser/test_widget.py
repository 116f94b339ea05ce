"""The embeddable widget in a real browser, on a host page from another origin."""

import re

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from kb.feedback.models import Feedback, QuestionLog
from kb.models import Passage, Policy

pytestmark = pytest.mark.browser

ANSWERED = "首次认定高新技术企业有什么奖励"
UNANSWERED = "今天天气怎么样"


def open_widget(page: Page, url: str) -> None:
    """Load the host page and open the panel with the launcher."""
    page.goto(url)
    page.locator("#pkb-launcher").click()
    expect(page.locator("#pkb-panel")).to_be_visible()


def ask(page: Page, question: str) -> None:
    """Type a question and send it with the button."""
    page.locator("#pkb-input").fill(question)
    page.locator("#pkb-send").click()


def test_cited_answer_and_unhelpful_feedback_is_stored(site, page, shot):
    open_widget(page, site.host + "/")
    launcher = page.locator("#pkb-launcher")
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#pkb-input")).to_be_focused()
    ask(page, ANSWERED)

    answer = page.locator(".pkb-answer").last
    expect(answer.locator(".pkb-title")).to_have_text("《金湖县加快科技型企业培育的奖励办法》")
    expect(answer.locator(".pkb-docno")).to_have_text("金科发〔2024〕8号")
    expect(answer.locator(".pkb-section")).to_have_text(re.compile(r"\S"))
    expect(answer.locator(".pkb-badge")).to_have_text("有效")
    expect(answer).to_contain_text("高新技术企业")
    with Session(site.engine) as session:
        policy = session.exec(select(Policy).where(Policy.doc_number == "金科发〔2024〕8号")).one()
    link = answer.locator(".pkb-link")
    expect(link).to_have_attribute("href", re.compile(rf"^{re.escape(site.api)}/policies/{policy.id}#"))
    expect(link).to_have_attribute("target", "_blank")
    href = link.get_attribute("href")
    shot(page, "answer")

    answer.locator(".pkb-unhelpful").click()
    reason = answer.locator(".pkb-reason")
    expect(reason).to_be_focused()
    reason.fill("没说清楚奖励什么时候到账")
    answer.locator(".pkb-reason-submit").click()
    expect(answer.locator(".pkb-thanks")).to_have_text("感谢反馈")
    shot(page)

    with Session(site.engine) as session:
        (fb,) = session.exec(select(Feedback)).all()
        question = session.get(QuestionLog, fb.question_id)
        passage = session.get(Passage, question.passage_id)
    assert fb.helpful is False and fb.reason == "没说清楚奖励什么时候到账"
    assert question.channel == "widget" and question.question == ANSWERED
    assert question.policy_id == policy.id
    # A clause answer links to that clause's anchor; an FAQ answer to the policy's FAQ section.
    anchor = f"clause-{question.passage_id}" if passage.kind == "clause" else "faq"
    assert href == f"{site.api}/policies/{policy.id}#{anchor}"
    policy_page = httpx.get(href.split("#")[0])
    assert policy_page.status_code == 200 and f'id="{anchor}"' in policy_page.text


def test_helpful_feedback_is_stored(site, page, shot):
    open_widget(page, site.host + "/")
    ask(page, ANSWERED)
    answer = page.locator(".pkb-answer").last
    answer.locator(".pkb-helpful").click()
    expect(answer.locator(".pkb-thanks")).to_have_text("感谢反馈")
    expect(answer.locator(".pkb-reason")).to_have_count(0)
    shot(page)
    with Session(site.engine) as session:
        (fb,) = session.exec(select(Feedback)).all()
    assert fb.helpful is True and fb.reason is None


def test_faq_answer_links_to_the_policy_faq(site, page, shot):
    open_widget(page, site.host + "/")
    ask(page, "我们公司去年刚认定高新企业，能拿多少奖励？")  # a published FAQ question, word for word
    link = page.locator(".pkb-answer .pkb-link")
    expect(link).to_have_attribute("href", re.compile(rf"^{re.escape(site.api)}/policies/\d+#faq$"))
    shot(page)


def test_no_confident_answer_offers_the_hotline(site, page, shot):
    open_widget(page, site.host + "/")
    ask(page, UNANSWERED)
    handoff = page.locator(".pkb-handoff")
    expect(handoff).to_contain_text("未找到可靠的答案")
    expect(handoff).to_contain_text("12345")
    expect(handoff.locator("a[href='tel:12345']")).to_be_visible()
    expect(page.locator(".pkb-answer")).to_have_count(0)
    shot(page)


def test_revised_policy_names_its_successor(site, page, shot):
    open_widget(page, site.host + "/")
    ask(page, "我们厂去年买了600万的新设备，能补多少钱？")
    answer = page.locator(".pkb-answer").last
    expect(answer.locator(".pkb-docno")).to_have_text("金政发〔2021〕18号")
    expect(answer.locator(".pkb-badge")).to_have_text("已修订")
    expect(answer.locator(".pkb-successor")).to_contain_text(
        "《金湖县推动工业企业技术改造和智能化改造的若干政策措施》（金政发〔2024〕12号）")
    shot(page)


def test_repealed_policy_is_labelled(site, page, shot):
    open_widget(page, site.host + "/")
    ask(page, "我们企业想找担保公司贷款，现在还能享受县里的担保费补贴吗？")  # its FAQ, verbatim
    answer = page.locator(".pkb-answer").last
    expect(answer.locator(".pkb-badge")).to_have_text("废止")
    expect(answer).to_contain_text("请以现行政策为准")
    shot(page)


def test_keyboard_only(site, page, shot):
    page.goto(site.host + "/")
    launcher = page.locator("#pkb-launcher")
    expect(launcher).to_be_visible()
    for _ in range(20):  # through the host page's links to the widget, as a keyboard user would
        page.keyboard.press("Tab")
        if launcher.evaluate("e => e.getRootNode().activeElement === e"):
            break
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#pkb-panel")).to_be_visible()
    expect(page.locator("#pkb-panel")).to_have_attribute("role", "dialog")
    expect(page.locator("#pkb-panel")).to_have_attribute("aria-label", "一企来政策咨询")
    expect(page.locator("[role=log]")).to_have_attribute("aria-live", "polite")
    expect(page.locator("#pkb-input")).to_be_focused()

    page.keyboard.type("首次认定高新技术企业")
    page.keyboard.press("Shift+Enter")  # a new line, not a send
    page.keyboard.type("有什么奖励")
    expect(page.locator("#pkb-input")).to_have_value("首次认定高新技术企业\n有什么奖励")
    page.keyboard.press("Enter")
    expect(page.locator(".pkb-answer .pkb-title")).to_contain_text("科技型企业培育")
    expect(page.locator("#pkb-input")).to_have_value("")
    shot(page)

    page.keyboard.press("Escape")
    expect(page.locator("#pkb-panel")).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")


def test_phone_width_panel_fits_without_horizontal_scroll(site, new_page, shot):
    page = new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    open_widget(page, site.host + "/")
    ask(page, ANSWERED)
    expect(page.locator(".pkb-answer .pkb-link")).to_be_visible()
    box = page.locator("#pkb-panel").bounding_box()
    assert box["x"] == 0 and box["width"] == 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.locator("#pkb-log").evaluate("e => e.scrollWidth <= e.clientWidth")
    shot(page)


def test_host_css_does_not_reach_the_widget_and_the_widget_adds_nothing_to_the_host(
        site, page, shot):
    page.goto(site.host + "/plain")
    plain_globals = set(page.evaluate("Object.keys(window)"))
    open_widget(page, site.host + "/")
    ask(page, ANSWERED)
    expect(page.locator(".pkb-answer")).to_be_visible()  # despite the host's display:none rule

    def style(selector: str, prop: str) -> str:
        return page.locator(selector).first.evaluate(f"e => getComputedStyle(e).{prop}")

    assert style("#host-text", "fontSize") == "30px"  # the host's own rule still applies to it
    assert style("#pkb-input", "fontSize") == "14px"
    assert style(".pkb-answer .pkb-text", "fontSize") == "14px"
    assert style(".pkb-answer .pkb-text", "color") != "rgb(255, 0, 0)"
    assert style("#pkb-send", "borderStyle") == "none"  # the host's dashed borders stay outside
    # Nothing added to the host document: no style sheets, no globals but the namespace.
    assert page.evaluate("document.styleSheets.length") == 1
    assert page.evaluate("document.adoptedStyleSheets.length") == 0
    assert set(page.evaluate("Object.keys(window)")) - plain_globals == {"PolicyKBWidget"}
    shot(page)


def test_included_twice_gives_one_widget(site, page, shot):
    page.goto(site.host + "/twice")
    expect(page.locator("#pkb-launcher")).to_have_count(1)
    expect(page.locator("policykb-widget")).to_have_count(1)
    assert page.evaluate("window.PolicyKBWidget.host") == site.api
    shot(page)


def test_origin_not_allowed_gets_no_answer(site, page, shot):
    open_widget(page, site.other + "/")  # same pages, origin not in KB_WIDGET_ORIGINS
    ask(page, ANSWERED)
    expect(page.locator(".pkb-error")).to_contain_text("网络连接失败")
    expect(page.locator(".pkb-answer")).to_have_count(0)
    shot(page)


def test_server_error_detail_is_shown(site, page, shot):
    def too_many(route):
        route.fulfill(status=429, json={"detail": "提问过于频繁，请 60 秒后再试"},
                      headers={"Access-Control-Allow-Origin": site.host, "Retry-After": "60"})

    page.route(f"{site.api}/api/ask", too_many)
    open_widget(page, site.host + "/")
    ask(page, ANSWERED)
    expect(page.locator(".pkb-error")).to_have_text("提问过于频繁，请 60 秒后再试")
    expect(page.locator("#pkb-send")).to_be_enabled()
    shot(page)


def test_server_text_is_never_rendered_as_html(site, page, shot):
    evil = '<img src=x onerror="window.pwned=1">'
    answer = {"policy_id": 1, "passage_id": 2, "title": evil, "doc_number": evil, "section": evil,
              "kind": "clause", "text": evil, "validity": "有效", "superseded_by": None}
    page.route(f"{site.api}/api/ask", lambda route: route.fulfill(json={
        "question_id": 1, "query": "q", "answer": answer, "answer_type": "passage",
        "confidence": 1.0, "message": evil, "hits": []},
        headers={"Access-Control-Allow-Origin": site.host}))
    open_widget(page, site.host + "/")
    ask(page, ANSWERED)
    expect(page.locator(".pkb-answer .pkb-text")).to_have_text(evil)
    expect(page.locator(".pkb-answer img")).to_have_count(0)
    assert page.evaluate("window.pwned") is None
    shot(page)


def test_feedback_error_shows_the_detail_and_allows_a_retry(site, page, shot):
    page.route(f"{site.api}/api/feedback", lambda route: route.fulfill(
        status=404, json={"detail": "没有编号为 99 的提问记录"},
        headers={"Access-Control-Allow-Origin": site.host}))
    open_widget(page, site.host + "/")
    ask(page, ANSWERED)
    answer = page.locator(".pkb-answer").last
    answer.locator(".pkb-helpful").click()
    expect(answer.locator("[role=alert]")).to_have_text("没有编号为 99 的提问记录")
    expect(answer.locator(".pkb-helpful")).to_be_enabled()
    expect(answer.locator(".pkb-thanks")).to_have_count(0)
    shot(page)


def test_loading_state_while_waiting(site, page, shot):
    held = []
    page.route(f"{site.api}/api/ask", lambda route: held.append(route))  # held until released
    open_widget(page, site.host + "/")
    ask(page, ANSWERED)
    expect(page.locator(".pkb-loading")).to_contain_text("正在查询")
    expect(page.locator("#pkb-send")).to_be_disabled()
    expect(page.locator("[role=log]")).to_have_attribute("aria-busy", "true")
    shot(page)
    held[0].continue_()
    expect(page.locator(".pkb-answer")).to_be_visible()
    expect(page.locator(".pkb-loading")).to_have_count(0)
    expect(page.locator("#pkb-send")).to_be_enabled()


def test_demo_page_embeds_the_widget(site, page, shot):
    open_widget(page, site.api + "/demo")
    ask(page, ANSWERED)
    expect(page.locator(".pkb-answer .pkb-docno")).to_have_text("金科发〔2024〕8号")
    assert page.locator("#pkb-input").evaluate("e => getComputedStyle(e).fontSize") == "14px"
    shot(page)


def test_an_interpretation_answer_names_who_signed_it_off(site, page, shot):
    open_widget(page, site.host + "/")
    ask(page, "科技型企业培育奖励办法的目的是什么")
    answer = page.locator(".pkb-answer").last
    expect(answer.locator(".pkb-section")).to_have_text("目的")
    expect(answer.locator(".pkb-signoff")).to_have_text(
        "拟稿人：潘磊　审核人：许文静　发布人：邓国华")
    shot(page)
