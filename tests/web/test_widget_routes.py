"""Serving the widget script and its demo host page."""

import pytest
from fastapi.testclient import TestClient

from web.app import create_app


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as c:
        yield c


def test_widget_js_is_served_as_javascript_with_a_short_cache(client):
    res = client.get("/widget.js")
    assert res.status_code == 200
    assert res.headers["content-type"] == "application/javascript; charset=utf-8"
    assert res.headers["cache-control"] == "public, max-age=300"
    assert "attachShadow" in res.text and "PolicyKBWidget" in res.text


def test_widget_js_never_renders_data_as_html(client):
    source = client.get("/widget.js").text
    assert "innerHTML" not in source and "insertAdjacentHTML" not in source
    assert "credentials:" not in source  # anonymous calls only: no cookies cross-origin


def test_demo_page_embeds_the_widget_with_the_one_line_tag(client):
    res = client.get("/demo")
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/html")
    assert ('<script src="http://testserver/widget.js" data-title="一企来政策咨询" async></script>'
            in res.text)
    assert "font-size: 30px !important" in res.text



def test_ask_page_without_faq_still_has_the_widget(client):
    page = client.get("/ask")  # an empty knowledge base: no starters, the question box all the same
    assert page.status_code == 200
    assert 'data-inline="#ask-panel"' in page.text and "data-starters='[]'" in page.text
