"""Errors for people: a Chinese page for pages (what went wrong, what next, the hotline), the API's
JSON unchanged."""

import re

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import PUBLIC
from web.app import create_app

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
HOTLINE = "96888"  # not the default: the page must say the configured one


@pytest.fixture
def visitor(demo_engine, web_settings):
    with TestClient(create_app(web_settings.model_copy(update={"hotline": HOTLINE})),
                    client=PUBLIC) as c:
        yield c


def visible(html: str) -> str:
    """The text a visitor reads: no markup, scripts or styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def assert_for_people(text: str) -> None:
    """Chinese, the hotline, and nothing a citizen cannot read: no status code, no English."""
    assert f"请拨打 {HOTLINE} 政务服务便民热线" in text
    assert not re.search(r"\b[1-5]\d\d\b", text), text  # no HTTP status
    assert not re.search(r"[A-Za-z_]{3,}", text.replace("GB/T", "")), text  # no field, no English


@pytest.mark.parametrize("path", ["/nonexistent", "/policies/1/nothing", "/push/nowhere"])
@pytest.mark.parametrize("headers", [BROWSER, {}])  # a browser, and a client that takes anything
def test_an_unknown_page_is_a_chinese_404_page(visitor, path, headers):
    res = visitor.get(path, headers=headers)
    assert res.status_code == 404 and res.headers["content-type"].startswith("text/html")
    text = visible(res.text)
    assert "没有找到您要打开的页面" in text and "回到首页" in text and "查找政策文件" in text
    assert "返回修改" not in text  # nothing was filled in: there is nothing to go back and fix
    assert_for_people(text)


def test_a_missing_policy_page_says_so_without_offering_to_fix(visitor):
    res = visitor.get("/policies/987654", headers=BROWSER)
    assert res.status_code == 404
    text = visible(res.text)
    assert "987654" in text and "返回修改" not in text and HOTLINE in text


def test_a_wrong_method_on_a_page_is_a_page(visitor):
    res = visitor.post("/policies", headers=BROWSER)
    assert res.status_code == 405 and "这个网址不能直接打开" in visible(res.text)
    assert "返回修改" not in visible(res.text)


@pytest.mark.parametrize(("method", "path", "body"), [
    ("get", "/api/nonexistent", {"detail": "Not Found"}),
    ("post", "/api/policies", {"detail": "Method Not Allowed"}),
    ("get", "/static/nonexistent.js", {"detail": "Not Found"}),
    ("post", "/healthz", {"detail": "Method Not Allowed"}),
])
def test_the_api_keeps_its_json_errors_even_for_a_browser(visitor, method, path, body):
    res = visitor.request(method, path, headers=BROWSER)
    assert res.headers["content-type"] == "application/json" and res.json() == body


def test_a_client_asking_for_json_gets_json_anywhere(visitor):
    res = visitor.get("/nonexistent", headers={"Accept": "application/json"})
    assert res.status_code == 404 and res.json() == {"detail": "Not Found"}


def test_api_errors_keep_their_field_names(visitor):
    res = visitor.post("/api/ask", json={}, headers=BROWSER)
    assert res.status_code == 422 and res.json() == {"detail": "请求有误：question：缺少此项"}


def test_a_refused_form_says_what_to_fix_in_chinese_and_offers_to_go_back(visitor):
    # The subscription form posted without its hidden token: a request error naming "token".
    res = visitor.post("/push/firm/settings", data={"frequency": "daily"}, headers=BROWSER)
    assert res.status_code == 422
    text = visible(res.text)
    assert "提交的内容需要修改" in text and "请返回修改后再提交" in text and "返回修改" in text
    assert "token" not in text and "缺少此项" not in text
    assert_for_people(text)


def test_a_filter_error_names_the_filter_by_its_label(visitor):
    res = visitor.get("/policies", params={"issued_from": "2024-02-30"}, headers=BROWSER)
    assert res.status_code == 422
    text = visible(res.text)
    assert "发文日期起" in text and "返回修改" in text and "issued_from" not in text
    assert HOTLINE in text
