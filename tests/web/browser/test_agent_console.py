"""The 12345 agent console in a real browser: keyboard search, pick a result, copy its script."""

import pytest
from playwright.sync_api import expect

from tests.web.browser.test_admin_workflow import sign_in
from tests.web.staff import make_user

pytestmark = pytest.mark.browser


def test_search_arrow_down_enter_copies_the_script(site, new_page, shot):
    page = new_page(viewport={"width": 1280, "height": 800},
                    permissions=["clipboard-read", "clipboard-write"])
    make_user(site.engine, "agent1", roles=["agent"], department="县政务服务中心")
    sign_in(page, site.api, "agent1")  # staff tools need a sign-in, loopback or not
    page.goto(site.api + "/agent")
    box = page.locator("#agent-q")
    box.focus()
    page.keyboard.type("高企奖励")
    results = page.locator(".agent-result")
    expect(results.first).to_have_attribute("aria-selected", "true")
    expect(results.nth(1)).to_be_visible()

    page.keyboard.press("ArrowDown")
    expect(results.nth(1)).to_have_attribute("aria-selected", "true")
    expect(results.first).to_have_attribute("aria-selected", "false")
    page.keyboard.press("Enter")
    expect(page.locator("#agent-status")).to_have_text("已复制")

    script = results.nth(1).locator(".agent-script").inner_text()
    assert script.strip()
    assert page.evaluate("navigator.clipboard.readText()") == script
    shot(page)
