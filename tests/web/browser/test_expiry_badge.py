"""A policy past its effective-to date answers in the widget as 失效, expired at app start-up."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from kb.models import Policy
from tests.kb.library.test_validity import LAPSED, LAPSED_QUESTION, add_lapsed
from tests.utils.builders import load_demo
from tests.web.browser import conftest as browser_fixtures
from tests.web.browser.test_widget import ask, open_widget

pytestmark = pytest.mark.browser


@pytest.fixture
def lapsed_site(request, monkeypatch, tmp_path):
    """The ``site`` fixture over the demo plus a policy that lapsed on 2025-12-31, still 有效 on disk."""
    found = {}

    def demo_and_lapsed(engine: Engine) -> str:  # runs before the server starts
        report = load_demo(engine)
        found["id"] = add_lapsed(engine, tmp_path)
        with Session(engine) as session:
            assert session.get(Policy, found["id"]).validity == "有效"
        return report

    monkeypatch.setattr(browser_fixtures, "load_demo", demo_and_lapsed)
    site = request.getfixturevalue("site")
    site.lapsed_id = found["id"]
    return site


def test_expired_policy_shows_the_expired_badge(lapsed_site, page, shot):
    open_widget(page, lapsed_site.host + "/")
    ask(page, LAPSED_QUESTION)
    answer = page.locator(".pkb-answer").last
    expect(answer.locator(".pkb-title")).to_have_text(f"《{LAPSED['title']}》")
    expect(answer.locator(".pkb-docno")).to_have_text(LAPSED["doc_number"])
    badge = answer.locator(".pkb-badge")
    expect(badge).to_have_text("失效")
    expect(badge).to_have_class(re.compile(r"\bpkb-badge-old\b"))
    expect(answer).to_contain_text("该政策当前状态为“失效”")
    shot(page)
    with Session(lapsed_site.engine) as session:
        policy = session.get(Policy, lapsed_site.lapsed_id)
    assert policy.validity == "失效" and policy.version == 2
