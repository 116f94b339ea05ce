"""In Chromium: an unknown address is a Chinese page, and 政策体检 finds the industry by its name."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

@pytest.mark.parametrize("width", [1280, 360])
def test_an_unknown_address_shows_the_chinese_404_page(site, new_page, width, shot):
    page = new_page(viewport={"width": width, "height": 800})
    res = page.goto(site.api + "/nonexistent")
    assert res is not None and res.status == 404
    expect(page.locator("h1")).to_have_text("没有找到您要打开的页面")
    expect(page.locator("#error-help")).to_contain_text("12345")
    expect(page.get_by_role("link", name="返回修改")).to_have_count(0)
    text = page.evaluate("document.body.innerText")
    assert "404" not in text and "Not Found" not in text and "detail" not in text
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, "404")


@pytest.mark.parametrize("width", [1280, 360])
def test_a_refused_form_page_offers_to_go_back(site, new_page, width, shot):
    page = new_page(viewport={"width": width, "height": 800})
    page.goto(site.api + "/policies")
    # The date input refuses 2024-02-30 when typed: the filter's address, as a bookmark keeps it.
    page.goto(site.api + "/policies?issued_from=2024-02-30")
    expect(page.locator("h1")).to_have_text("提交的内容需要修改")
    expect(page.locator("#error-message")).to_contain_text("发文日期起")
    page.get_by_role("link", name="返回修改").click()
    expect(page).to_have_url(site.api + "/policies")  # back to the form, not to the home page
    page.go_forward()
    shot(page, "form-error")


@pytest.mark.parametrize("width", [1280, 360])
def test_the_checkup_picker_finds_the_industry_by_name(site, new_page, width, shot):
    page = new_page(viewport={"width": width, "height": 800})
    page.goto(site.api + "/checkup")
    field = page.get_by_role("combobox", name="所属行业")
    field.press_sequentially("电子厂", delay=30)
    options = page.get_by_role("option")
    expect(options.first).to_contain_text("39 计算机、通信和其他电子设备制造业")
    expect(page.get_by_role("option", name="81", exact=False)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, "checkup-suggestions")
    page.get_by_role("option", name="81", exact=False).click()
    expect(field).to_have_value("81 机动车、电子产品和日用产品修理业")
    expect(page.locator("#industry-code")).to_have_value("81")
    page.fill("input[name=employees]", "12")
    page.get_by_role("button", name="开始体检").click()
    expect(page.get_by_role("region", name="体检结果")).to_be_visible()
    expect(field).to_have_value("81 机动车、电子产品和日用产品修理业")


def test_the_picker_works_from_the_keyboard_and_typing_again_forgets_the_choice(site, page):
    page.goto(site.api + "/checkup")
    field = page.get_by_role("combobox", name="所属行业")
    field.press_sequentially("饭店", delay=30)
    expect(page.get_by_role("option").first).to_contain_text("62 餐饮业")
    field.press("ArrowDown")
    field.press("Enter")
    expect(page.locator("#industry-code")).to_have_value("62")
    expect(page.get_by_role("listbox")).to_be_hidden()
    field.press_sequentially("x")
    expect(page.locator("#industry-code")).to_have_value("")


@pytest.mark.parametrize("width", [1280, 360])
def test_without_javascript_the_server_asks_which_industry(site, new_page, width, shot):
    page = new_page(viewport={"width": width, "height": 800}, java_script_enabled=False)
    page.goto(site.api + "/checkup")
    page.fill("#industry", "xyz")
    page.fill("input[name=employees]", "12")
    page.get_by_role("button", name="开始体检").click()
    expect(page.get_by_role("alert")).to_contain_text("没有找到与“xyz”相符的行业")
    shot(page, "checkup-no-industry")
    page.fill("#industry", "电子")
    page.get_by_role("button", name="开始体检").click()
    choice = page.get_by_role("group", name="您填写的“电子”可能是以下行业")
    expect(choice).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, "checkup-choose")
    page.get_by_label("81 机动车、电子产品和日用产品修理业").check()
    page.get_by_role("button", name="开始体检").click()
    expect(page.get_by_role("region", name="体检结果")).to_be_visible()
    expect(page.locator("#industry")).to_have_value("81 机动车、电子产品和日用产品修理业")
