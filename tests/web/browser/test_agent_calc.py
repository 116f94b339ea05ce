"""The agent console's calculator in a real browser: type a USCC, see each policy's amount."""

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from push.demo import load_demo as load_push_demo
from push.matching.synthetic import make_uscc
from tests.web.browser.test_admin_workflow import sign_in
from tests.web.staff import make_user

pytestmark = pytest.mark.browser


def test_typing_a_credit_code_shows_amounts_formulas_and_misses(site, new_page, shot, capsys):
    load_push_demo(SimpleNamespace(engine=site.engine))
    capsys.readouterr()
    make_user(site.engine, "agent1", roles=["agent"], department="县政务服务中心")
    page = new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, site.api, "agent1")
    page.goto(site.api + "/agent")
    page.locator("#calc-uscc").fill(make_uscc(900).lower())  # typed in lower case: accepted
    page.locator("#calc-form button").click()
    results = page.locator("#calc-results")
    expect(results.locator(".calc-firm")).to_contain_text("金湖智芯电子科技有限公司")
    tech = results.locator(".calc-policy", has_text="技术改造")
    expect(tech.locator(".calc-amount")).to_have_text("预计可享 64万元")
    expect(tech.locator(".calc-formula")).to_contain_text("新增设备投资 800万元 × 8% = 64万元")
    expect(results.locator(".calc-missed").first).to_contain_text("不符合：")
    shot(page)

    page.locator("#calc-uscc").fill("91321000MA1XXXXXXX")
    page.locator("#calc-form button").click()
    expect(page.locator("#calc-status")).not_to_be_empty()
    expect(results).to_be_empty()
