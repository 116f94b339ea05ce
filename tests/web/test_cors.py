"""Only the portals in KB_WIDGET_ORIGINS may call the API from a browser."""

import pytest

from tests.web.conftest import PORTAL


def preflight(client, origin: str):
    return client.options("/api/ask", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})


def test_allowed_origin_gets_cors_headers(client):
    res = preflight(client, PORTAL)
    assert res.status_code == 200
    assert res.headers["access-control-allow-origin"] == PORTAL
    assert "POST" in res.headers["access-control-allow-methods"]
    ask = client.post("/api/ask", json={"question": "高企奖励多少"}, headers={"Origin": PORTAL})
    assert ask.headers["access-control-allow-origin"] == PORTAL


@pytest.mark.parametrize("origin", ["https://evil.example", "http://www.jinhu.gov.cn",
                                    "https://www.jinhu.gov.cn.evil.example"])
def test_other_origins_get_none(client, origin):
    res = preflight(client, origin)
    assert res.status_code == 400 and "access-control-allow-origin" not in res.headers
    ask = client.post("/api/ask", json={"question": "高企奖励多少"}, headers={"Origin": origin})
    assert "access-control-allow-origin" not in ask.headers
