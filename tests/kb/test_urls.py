"""Findings 4 and 6: one URL policy for links shown on pages and for webhook targets."""

import json

import httpx
import pytest
from pydantic import ValidationError

from kb.authoring.drafts import validate_draft
from kb.errors import IngestError, InvalidInput
from kb.inputs.urls import UnsafeURL, web_url, webhook_url
from kb.models import ContentKind
from push.delivery.channels.base import Outgoing
from push.delivery.channels.webhook import WebhookChannel, shown
from push.firms.models import FirmCreate
from push.matching.synthetic import make_uscc
from tests.utils.builders import ingest, write_jsonl

SCRIPTS = ["javascript:alert(1)", "JavaScript:alert(document.cookie)", " javascript:alert(1)",
           "data:text/html,<script>alert(1)</script>", "vbscript:x", "//evil.example/x",
           "http://user:pw@gov.cn/x", "http:///nohost", "http://gov.cn/a b"]


@pytest.mark.parametrize("url", SCRIPTS)
def test_links_that_are_not_plain_http_are_refused(url):
    with pytest.raises(UnsafeURL):
        web_url(url)


def test_a_plain_link_passes():
    assert web_url(" https://www.jinhu.gov.cn/art/2024/1.html ") == \
        "https://www.jinhu.gov.cn/art/2024/1.html"


def test_a_javascript_source_url_is_refused_by_ingest_and_by_drafts(engine, tmp_path):
    path = write_jsonl(tmp_path / "x.jsonl", [
        {"id": "x", "title": "t", "text": "一、x", "source_url": "javascript:alert(1)"}])
    with pytest.raises(IngestError, match="source_url"):
        ingest(engine, path)
    with pytest.raises(InvalidInput, match="^原文链接："):
        validate_draft(ContentKind.POLICY, {"title": "t", "full_text": "一、x",
                                            "source_url": "javascript:alert(1)"})


HOOKS = ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:22/", "http://2130706433:8080/",
         "http://0x7f000001/", "http://017700000001/", "http://127.1/", "http://[::1]/",
         "http://[::ffff:169.254.169.254]/", "http://[::ffff:7f00:1]/", "http://10.0.0.5/h",
         "http://172.16.3.4/h", "http://192.168.1.1/h", "http://100.64.0.1/h", "http://0.0.0.0/",
         "http://224.0.0.1/", "http://240.0.0.1/", "http://[fe80::1]/", "http://[fc00::1]/",
         "http://[2002:a9fe:a9fe::]/", "https://user:pass@hooks.example.com/x", "ftp://example.com/",
         "http://localhost/"]


@pytest.mark.parametrize("url", HOOKS)
def test_webhooks_to_internal_addresses_are_refused(url):
    with pytest.raises(UnsafeURL):
        webhook_url(url, allow_loopback=False)


def test_loopback_only_with_the_setting_and_never_private():
    assert webhook_url("http://127.0.0.1:9000/h", allow_loopback=True)
    with pytest.raises(UnsafeURL):
        webhook_url("http://169.254.169.254/", allow_loopback=True)
    with pytest.raises(UnsafeURL):
        webhook_url("http://[::ffff:10.0.0.1]/", allow_loopback=True)
    assert webhook_url("https://8.8.8.8/hook", allow_loopback=False)


def test_firm_import_refuses_an_internal_webhook(monkeypatch):
    from kb.config import get_settings

    monkeypatch.setenv("KB_WEBHOOK_ALLOW_LOOPBACK", "false")
    get_settings.cache_clear()
    try:
        with pytest.raises(ValidationError, match="webhook地址不能指向"):
            FirmCreate(uscc=make_uscc(1), name="甲公司", channels=["webhook"],
                       webhook_url="http://169.254.169.254/latest")
        with pytest.raises(ValidationError, match="用户名或密码"):
            FirmCreate(uscc=make_uscc(2), name="乙公司", channels=["webhook"],
                       webhook_url="https://a:b@hooks.example.com/x")
    finally:
        get_settings.cache_clear()


def _outgoing(url: str) -> Outgoing:
    return Outgoing(key="k", channel="webhook", firm_id=1, firm_name="甲", subject="s", text="t",
                    html="h", sms_text="s", payload={"a": 1}, unsubscribe_url="u",
                    webhook_url=url, webhook_secret="secret")


def test_the_target_is_checked_again_at_send_time():
    calls = []
    channel = WebhookChannel(allow_loopback=False)
    channel.client = httpx.Client(transport=httpx.MockTransport(
        lambda r: calls.append(r) or httpx.Response(200)))
    result = channel.send(_outgoing("http://127.0.0.1:9/h"))  # stored before the policy, say
    assert not result.ok and result.permanent and "回环" in result.detail and calls == []


def test_a_receivers_error_body_is_stored_truncated_and_without_markup():
    evil = "<script>alert('x')</script>\n\x1b[31m" + "A" * 5000
    channel = WebhookChannel(allow_loopback=False)
    channel.client = httpx.Client(transport=httpx.MockTransport(
        lambda r: httpx.Response(400, text=evil)))
    result = channel.send(_outgoing("https://8.8.8.8/hook"))
    assert not result.ok and result.permanent
    assert len(result.detail) <= 210 and "<" not in result.detail and "\x1b" not in result.detail
    assert "\n" not in result.detail and shown("a<b") == "a‹b"
    assert json.dumps(result.detail)  # one plain line
