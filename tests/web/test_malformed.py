"""Findings 9 and 5: malformed input is a 4xx, never a 500; the anonymous 政策体检 never shows
a registered firm, and cannot tell registered codes from unknown ones."""

import pytest
from fastapi.testclient import TestClient

from kb.database.db import session_scope
from push.matching.synthetic import make_uscc
from tests.web.staff import login, make_user
from web.app import create_app


@pytest.fixture
def anon(demo_engine, web_settings):
    with TestClient(create_app(web_settings), client=("203.0.113.7", 5000),
                    raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("path", [
    "/push/firm?token=a.%C3%A9", "/push/unsubscribe?token=a.%C3%A9", "/push/r/1-%C3%A9%C3%A9",
    "/push/r/%C2%B3-abc", "/push/o/%C2%B3-abc.gif", "/push/firm?token=%C3%A9",
    "/api/policies/%C2%B3", "/policies/%C2%B3", "/api/policies/99999999999999999999",
    "/policies/99999999999999999999", "/api/policies/-1",
])
def test_malformed_paths_and_tokens_are_4xx(anon, path):
    res = anon.get(path)
    assert 400 <= res.status_code < 500 or res.headers["content-type"] == "image/gif", \
        (path, res.status_code)


@pytest.mark.parametrize("body", [{"question_id": 1e20, "helpful": True},
                                  {"question_id": 2**63, "helpful": True},
                                  {"question_id": -1, "helpful": False}])
def test_feedback_on_an_impossible_question_id_is_4xx(anon, body):
    assert 400 <= anon.post("/api/feedback", json=body).status_code < 500


def test_admin_ids_beyond_64_bits_are_4xx(demo_engine, web_settings):
    make_user(demo_engine, "admin1", roles=["admin"], department=None)
    with TestClient(create_app(web_settings), raise_server_exceptions=False) as c:
        login(c, "admin1")
        for path in ("/admin/revisions/99999999999999999999", "/admin/ledger/99999999999999999999",
                     "/admin/content/policies/99999999999999999999"):
            assert 400 <= c.get(path).status_code < 500, path


@pytest.mark.parametrize("uscc", [["x"], {"a": 1}, 5, "x" * 100])
def test_a_non_string_credit_code_is_4xx(anon, uscc):
    assert 400 <= anon.post("/api/checkup", json={"uscc": uscc}).status_code < 500


def test_a_registered_code_tells_nothing_more_than_an_unknown_one(anon, demo_engine):
    from push.firms.models import Firm

    code = make_uscc(777)
    with session_scope(demo_engine) as session:
        session.add(Firm(uscc=code, name="保密的甲公司", industry_code="3491", employees=120,
                         revenue=8000, region="黎城街道", qualifications=["高新技术企业"]))
    known = anon.post("/api/checkup", json={"uscc": code})
    unknown = anon.post("/api/checkup", json={"uscc": make_uscc(778)})
    assert known.status_code == unknown.status_code == 422
    assert known.json() == unknown.json()
    assert "保密的甲公司" not in known.text and "黎城街道" not in known.text
    page = anon.post("/checkup", data={"uscc": code})
    assert page.status_code == 422 and "保密的甲公司" not in page.text
    # A profile entered by the visitor works as before, a code beside it is ignored.
    res = anon.post("/api/checkup", json={"uscc": code, "industry_code": "0111", "employees": 6})
    assert res.status_code == 200 and "保密的甲公司" not in res.text


@pytest.mark.parametrize("question", ["高企\x00奖励", "\x00", "补贴\x07\x1b"])
def test_a_question_with_a_nul_or_control_characters_is_answered_or_4xx(demo_engine, web_settings,
                                                                    question):
    # PostgreSQL cannot store NUL in text: the question log must not turn one into a 500.
    with TestClient(create_app(web_settings), client=("127.0.0.1", 5000),
                    raise_server_exceptions=False) as staff:
        make_user(demo_engine, "nul-agent", roles=["agent"])
        login(staff, "nul-agent")
        res = staff.get("/api/agent/search", params={"q": question})
        assert res.status_code < 500, res.text
        res = staff.post("/api/ask", json={"question": question})
        assert res.status_code < 500, res.text
