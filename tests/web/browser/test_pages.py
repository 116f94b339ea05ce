"""Every public and staff page in Chromium at desktop and phone size: it fits, it shows no emoji
or missing glyphs, it asks nothing of any host but the server, the favicon loads; /docs offline;
no serious accessibility violations on the public pages (axe-core, bundled)."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect
from sqlmodel import Session, select

from kb.models import Policy
from tests.web.browser.test_admin_workflow import sign_in
from tests.web.staff import make_user

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 360, "height": 740}}
PUBLIC = ["/", "/policies", "/policies/{policy}", "/ask", "/checkup", "/track", "/admin/login"]
STAFF = ["/admin", "/admin/review", "/admin/content", "/admin/content/policies/{policy}",
         "/admin/validity", "/admin/ledger", "/admin/stats", "/admin/audit", "/admin/users",
         "/admin/push", "/admin/applications", "/agent", "/agent/applications"]
# Emoji and pictographs, dingbats, variation selectors, the replacement character: what renders
# as an empty box on a machine with only Chinese fonts.
NO_GLYPH = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\uFFFD\u25A1]")


def fence(page: Page, server: str) -> list[str]:
    """Abort every request to a host other than ``server``; the list collects them."""
    others: list[str] = []
    netloc = urlsplit(server).netloc

    def handle(route: Route) -> None:
        url = route.request.url
        if url.startswith(("http://", "https://")) and urlsplit(url).netloc != netloc:
            others.append(url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", handle)
    return others


def check(page: Page, server: str, path: str, size: str, folder: Path) -> None:
    """Open ``path`` and assert what every page must hold."""
    res = page.goto(server + path)
    assert res is not None and res.status == 200, f"{path}: {res and res.status}"
    page.wait_for_load_state("networkidle")
    name = re.sub(r"[^\w]+", "_", path).strip("_") or "home"
    page.screenshot(path=str(folder / f"{name}-{size}.png"), full_page=True)
    if size == "phone":
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 360, f"{path} scrolls sideways at 360 px ({wide} px wide)"
    text = page.evaluate("document.body.innerText")
    assert not NO_GLYPH.findall(text), f"{path}: {sorted(set(NO_GLYPH.findall(text)))}"
    for link in page.locator("link[rel=icon]").all():
        icon = page.request.get(server + link.get_attribute("href"))
        assert icon.ok and icon.headers["content-type"].startswith("image/"), path
    assert page.locator("link[rel=icon][href='/favicon.ico']").count() == 1, path


def policy_id(site) -> int:
    """A demo policy with clauses, interpretation and FAQ."""
    with Session(site.engine) as session:
        return session.exec(select(Policy).where(Policy.doc_number == "金科发〔2024〕8号")).one().id


@pytest.mark.parametrize("size", SIZES)
def test_public_pages(site, new_page, tmp_path, size):
    page = new_page(viewport=SIZES[size], is_mobile=size == "phone")
    others = fence(page, site.api)
    for path in PUBLIC:
        check(page, site.api, path.format(policy=policy_id(site)), size, tmp_path)
    assert others == []


@pytest.mark.parametrize("size", SIZES)
def test_staff_pages(site, new_page, tmp_path, size):
    make_user(site.engine, "admin1", roles=["admin"], department=None)
    page = new_page(viewport=SIZES[size], is_mobile=size == "phone")
    others = fence(page, site.api)
    sign_in(page, site.api, "admin1")
    for path in STAFF:
        check(page, site.api, path.format(policy=policy_id(site)), size, tmp_path)
    assert others == []


def test_the_staff_menu_wraps_between_items_never_inside_one(site, new_page):
    # At 360 px the menu takes two lines; 问题台账 must not break into 问 / 题台账.
    make_user(site.engine, "admin2", roles=["admin"], department=None)
    page = new_page(viewport=SIZES["phone"], is_mobile=True)
    sign_in(page, site.api, "admin2")
    page.goto(site.api + "/admin")
    items = page.locator(".staffbar nav a")
    assert items.count() >= 6
    broken = [items.nth(i).inner_text() for i in range(items.count())
              if items.nth(i).evaluate("a => a.getClientRects().length") > 1]
    assert broken == []


def test_api_reference_works_with_the_network_blocked(site, page, tmp_path):
    others = fence(page, site.api)
    page.goto(site.api + "/docs")
    expect(page.locator(".opblock-summary-path[data-path='/api/ask']")).to_be_visible()
    expect(page.locator(".opblock-summary-path[data-path='/api/policies']")).to_be_visible()
    page.screenshot(path=str(tmp_path / "docs.png"))
    page.goto(site.api + "/redoc")
    expect(page.get_by_text("/api/ask").first).to_be_attached()
    expect(page.locator("h1").first).to_contain_text("政策通")
    page.screenshot(path=str(tmp_path / "redoc.png"))
    assert others == []


def test_large_type_and_high_contrast_persist(site, page):
    page.goto(site.api + "/policies")
    base = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    page.get_by_role("button", name="大字").click()
    page.get_by_role("button", name="高对比").click()
    expect(page.get_by_role("button", name="大字")).to_have_attribute("aria-pressed", "true")
    page.goto(site.api + "/ask")  # another page, later: the choice holds
    expect(page.locator("html")).to_have_class(re.compile(r"\blarge\b.*\bcontrast\b|\bcontrast\b.*\blarge\b"))
    expect(page.get_by_role("button", name="高对比")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") > base
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    page.get_by_role("button", name="大字").click()
    page.reload()
    expect(page.get_by_role("button", name="大字")).to_have_attribute("aria-pressed", "false")


def test_public_pages_have_no_serious_accessibility_violations(site, page):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    for path in PUBLIC:
        page.goto(site.api + path.format(policy=policy_id(site)))
        page.wait_for_load_state("networkidle")
        results = axe.run(page)
        assert results.response["passes"], f"{path}: axe checked nothing"
        bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
               for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert bad == [], f"{path}: {bad}"
