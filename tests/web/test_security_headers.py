"""Finding 14: key file 0600, security headers with a CSP, firm links that expire."""

import os
import re
import stat
import time

import pytest
from fastapi.testclient import TestClient

from push.delivery.tokens import EXPIRED, InvalidToken, firm_token, read_firm_token, sign
from web.app import create_app
from web.security import CSP


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_the_signing_key_is_readable_by_its_owner_only(settings):
    settings.signing_key()
    mode = stat.S_IMODE((settings.home / "secret.key").stat().st_mode)
    assert mode == 0o600
    (settings.home / "secret.key").chmod(0o644)  # made by an older version
    settings.signing_key()
    assert stat.S_IMODE((settings.home / "secret.key").stat().st_mode) == 0o600


@pytest.fixture
def client(demo_engine, web_settings):
    with TestClient(create_app(web_settings)) as c:
        yield c


@pytest.mark.parametrize("path", ["/", "/policies", "/checkup", "/admin/login", "/demo",
                                  "/policies/99999"])
def test_every_page_has_security_headers_and_a_csp(client, path):
    res = client.get(path)
    assert res.headers["content-security-policy"] == CSP
    assert res.headers["x-content-type-options"] == "nosniff"
    assert res.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP.split("script-src")[1].split(";")[0]


def test_pages_carry_no_inline_script(client):
    for path in ("/", "/policies", "/checkup", "/admin/login", "/demo", "/policies/99999"):
        html = client.get(path).text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, (path, tag)
        assert not re.search(r"\son[a-z]+=", html), path
        assert "javascript:" not in html, path


def test_api_responses_have_nosniff(client):
    res = client.get("/api/policies")
    assert res.headers["x-content-type-options"] == "nosniff"


def test_firm_links_expire_and_old_links_without_expiry_are_refused():
    key = b"k"
    token = firm_token(key=key, firm_id=7, days=1, now=1_000_000)
    assert read_firm_token(key=key, token=token, now=1_000_000 + 3600) == 7
    with pytest.raises(InvalidToken, match="过期"):
        read_firm_token(key=key, token=token, now=1_000_000 + 2 * 86400)
    legacy = sign(key=key, purpose="firm", data={"f": 7})
    with pytest.raises(InvalidToken) as err:
        read_firm_token(key=key, token=legacy)
    assert err.value.message == EXPIRED
    assert read_firm_token(key=key, token=firm_token(key=key, firm_id=7)) == 7
    assert time.time()  # the default expiry is from now


def test_an_expired_firm_link_is_a_400_page(client, web_settings):
    token = firm_token(key=web_settings.signing_key(), firm_id=1, days=1, now=time.time() - 3 * 86400)
    res = client.get(f"/push/firm?token={token}")
    assert res.status_code == 400 and "过期" in res.text
