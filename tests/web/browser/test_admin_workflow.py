"""The sign-off workflow in a real browser: three people, their own sessions, the real forms."""

import pytest
from playwright.sync_api import Page, expect

from tests.web.staff import PASSWORD, make_user

pytestmark = pytest.mark.browser

MEASURES = ("县科技局每季度举办一期研发费用加计扣除辅导讲座，企业可通过金湖县科技局微信公众号的"
            "“讲座报名”栏目报名，每期限60家企业，报名截止为开讲前三个工作日。讲座讲解研发项目立项、"
            "辅助账设置和年度汇算申报的要点，并现场解答企业的具体问题；会后提供操作手册和答疑热线。")


def sign_in(page: Page, api: str, username: str) -> None:
    """Sign in through the form, as a person would."""
    page.goto(api + "/admin/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("h1")).to_contain_text("您好")


def test_three_people_sign_off_an_interpretation_in_the_browser(site, new_page, shot):
    for username, role, name in (("zhang", "drafter", "张拟稿"), ("li", "reviewer", "李审核"),
                                 ("wang", "publisher", "王发布")):
        make_user(site.engine, username, roles=[role], name=name)
    drafter, reviewer, publisher = (new_page(viewport={"width": 1200, "height": 900})
                                    for _ in range(3))

    sign_in(drafter, site.api, "zhang")
    drafter.goto(site.api + "/admin/content")
    drafter.get_by_role("link", name="金湖县加快科技型企业培育的奖励办法").click()
    drafter.get_by_role("link", name="＋ 新增解读").click()
    drafter.locator("#f-title").fill("研发费用加计扣除辅导解读")
    drafter.locator("#f-background").fill("不少科技型中小企业反映，研发费用归集口径复杂，担心享受加计扣除后被调整，"
                                          "因此有政策也不敢用。县科技局会同县税务局开展面对面辅导。")
    drafter.locator("#f-purpose").fill("让符合条件的科技型企业学会规范归集研发费用，应享尽享加计扣除优惠。")
    drafter.locator("#f-measures").fill(MEASURES)
    drafter.get_by_role("button", name="保存草稿").click()
    expect(drafter.locator("#done")).to_have_text("草稿已保存。")
    drafter.get_by_role("button", name="提交审核").click()
    expect(drafter.locator("#rev-status")).to_have_text("待审核")
    revision = drafter.url.split("?")[0]

    sign_in(reviewer, site.api, "li")
    reviewer.goto(site.api + "/admin/review")
    reviewer.locator("#to-review").get_by_role("link", name="研发费用加计扣除辅导解读").click()
    expect(reviewer.locator("#quality")).to_contain_text("未发现问题")
    reviewer.get_by_role("button", name="审核通过").click()
    expect(reviewer.locator("#rev-status")).to_have_text("待发布")

    sign_in(publisher, site.api, "wang")
    publisher.goto(revision)
    publisher.get_by_role("button", name="发布").click()
    expect(publisher.locator("#done")).to_contain_text("已发布")
    shot(publisher)

    publisher.get_by_role("link", name="查看公开页面").click()
    expect(publisher.locator("#interpretation-2")).to_contain_text(
        "拟稿人：张拟稿　审核人：李审核　发布人：王发布")
    answer = publisher.request.post(site.api + "/api/ask",
                                    data={"question": "研发费用加计扣除辅导讲座在哪里报名"}).json()
    assert "讲座报名" in answer["answer"]["text"]
    assert answer["answer"]["signoff"]["reviewer"] == "李审核"
    publisher.goto(revision)
    expect(publisher.locator("h2").filter(has_text="内容")).to_be_visible()  # it was new, not a change
