"""Finding 3: forwarding headers are believed only from KB_TRUSTED_PROXIES."""

from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from web.app import create_app
from web.cli import proxy_options
from web.clients import client_address

QUESTION = {"question": "高企奖励多少"}


def _request(peer: str, headers: dict, trusted: str) -> SimpleNamespace:
    settings = SimpleNamespace(trusted_proxies=trusted)
    return SimpleNamespace(client=SimpleNamespace(host=peer), headers=headers,
                           app=SimpleNamespace(state=SimpleNamespace(site=settings)))


@pytest.mark.parametrize(("peer", "headers", "trusted", "expected"), [
    ("127.0.0.1", {"x-real-ip": "203.0.113.9"}, "", "127.0.0.1"),  # nginx on the same host
    ("127.0.0.1", {"x-forwarded-for": "127.0.0.1"}, "", "127.0.0.1"),
    ("198.51.100.1", {"x-forwarded-for": "127.0.0.1"}, "127.0.0.1", "198.51.100.1"),
    ("127.0.0.1", {"x-real-ip": "203.0.113.9"}, "127.0.0.1", "203.0.113.9"),
    ("127.0.0.1", {"x-forwarded-for": "1.2.3.4, 203.0.113.9"}, "127.0.0.1", "203.0.113.9"),
    ("10.0.0.2", {"x-forwarded-for": "203.0.113.9, 10.0.0.3"}, "10.0.0.0/8", "203.0.113.9"),
    ("127.0.0.1", {"x-forwarded-for": "garbage"}, "127.0.0.1", "127.0.0.1"),
])
def test_client_address(peer, headers, trusted, expected):
    assert client_address(_request(peer, headers, trusted)) == expected


def test_rotating_forwarded_for_does_not_escape_the_rate_limit(demo_engine, web_settings):
    app = create_app(web_settings.model_copy(update={"ask_rate_limit": 2}))
    with TestClient(app, client=("127.0.0.1", 5000)) as c:
        codes = [c.post("/api/ask", json=QUESTION, headers={"X-Forwarded-For": f"10.9.9.{i}"})
                 .status_code for i in range(3)]
    assert codes == [200, 200, 429]


def test_behind_a_trusted_proxy_each_visitor_has_their_own_bucket(demo_engine, web_settings):
    app = create_app(web_settings.model_copy(update={"ask_rate_limit": 1,
                                                     "trusted_proxies": "127.0.0.1"}))
    with TestClient(app, client=("127.0.0.1", 5000)) as c:
        codes = [c.post("/api/ask", json=QUESTION, headers={"X-Real-IP": f"203.0.113.{i}"})
                 .status_code for i in (1, 2, 1)]
    assert codes == [200, 200, 429]


def test_serve_gives_uvicorn_the_same_trusted_proxies(settings):
    assert proxy_options(settings) == {"proxy_headers": False}
    trusted = settings.model_copy(update={"trusted_proxies": "127.0.0.1, 10.0.0.0/8"})
    assert proxy_options(trusted) == {"proxy_headers": True,
                                      "forwarded_allow_ips": ["127.0.0.1", "10.0.0.0/8"]}
