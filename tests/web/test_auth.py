"""Signing in and out over HTTP with real cookies; CSRF, throttling, roles, session expiry."""

import time
from datetime import UTC, datetime, timedelta
from typing import Annotated

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from kb.database.db import session_scope
from kb.staff.audit import entries
from kb.staff.models import Role, User, UserSession
from tests.web.conftest import PUBLIC, STAFF
from tests.web.staff import PASSWORD, csrf_of, login, make_user
from web.app import create_app
from web.auth import CSRF_FAILED, require_role, require_user, verify_csrf


def post_login(client, username, password=PASSWORD, next_path=None, csrf=None):
    form = client.get("/admin/login")
    data = {"username": username, "password": password,
            "csrf_token": csrf_of(form.text) if csrf is None else csrf}
    if next_path is not None:
        data["next"] = next_path
    return client.post("/admin/login", data=data, follow_redirects=False)


def set_cookie_headers(res) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in res.headers.get_list("set-cookie")}


def test_sign_in_sets_a_safe_cookie_and_opens_the_home_page(client, demo_engine):
    make_user(demo_engine, "zhang", roles=[Role.DRAFTER], name="张三")
    res = post_login(client, "zhang")
    assert res.status_code == 303 and res.headers["location"] == "/admin"
    cookie = set_cookie_headers(res)["kb_session"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "secure" not in cookie  # the default public_url is http
    home = client.get("/admin")
    assert home.status_code == 200
    assert "张三，您好" in home.text and "县科技局" in home.text and "拟稿人" in home.text
    assert 'href="/admin/content"' in home.text and 'href="/admin/users"' not in home.text
    with Session(demo_engine) as s:
        row = s.exec(select(UserSession)).one()
        assert row.token_hash != client.cookies["kb_session"]  # only a hash is stored
        assert row.csrf_token in home.text
        assert entries(session=s, action="login.ok")[0].actor == "zhang"


def test_cookie_is_secure_when_served_over_https(demo_engine, web_settings):
    make_user(demo_engine, "zhang", roles=[Role.DRAFTER])
    app = create_app(web_settings.model_copy(update={"public_url": "https://zwfw.jinhu.gov.cn"}))
    with TestClient(app, client=STAFF, base_url="https://testserver") as c:
        res = post_login(c, "zhang")
        assert res.status_code == 303
        assert "secure" in set_cookie_headers(res)["kb_session"].lower()
        assert c.get("/admin").status_code == 200


def test_anonymous_pages_redirect_to_sign_in_and_come_back(client, demo_engine):
    make_user(demo_engine, "root", roles=[Role.ADMIN], department=None)
    res = client.get("/admin/audit?actor=root", follow_redirects=False)
    assert res.status_code == 303
    assert res.headers["location"] == "/admin/login?next=%2Fadmin%2Faudit%3Factor%3Droot"
    form = client.get(res.headers["location"])
    assert 'name="next" value="/admin/audit?actor=root"' in form.text
    done = post_login(client, "root", next_path="/admin/audit?actor=root")
    assert done.headers["location"] == "/admin/audit?actor=root"
    assert client.get("/admin/login", follow_redirects=False).headers["location"] == "/admin"


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/x",
                                    "/\\evil.example", "javascript:alert(1)", "admin",
                                    "/admin/login"])
def test_sign_in_never_leaves_the_site(client, demo_engine, target):
    make_user(demo_engine, "zhang", roles=[Role.DRAFTER])
    res = post_login(client, "zhang", next_path=target)
    assert res.status_code == 303 and res.headers["location"] == "/admin"


def test_wrong_password_shows_the_form_again_with_401(client, demo_engine):
    make_user(demo_engine, "zhang", roles=[Role.DRAFTER])
    wrong = post_login(client, "zhang", password="wrong-password")
    unknown = post_login(client, "nobody", password="wrong-password")
    for res in (wrong, unknown):
        assert res.status_code == 401 and "用户名或密码不正确" in res.text
        assert 'name="password"' in res.text and "kb_session" not in res.headers.get("set-cookie", "")
    assert 'value="zhang"' in wrong.text  # the username stays filled in
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_login_form_needs_its_own_csrf_token(client, demo_engine):
    make_user(demo_engine, "zhang", roles=[Role.DRAFTER])
    res = post_login(client, "zhang", csrf="forged")
    assert res.status_code == 403 and "登录页面已过期" in res.text
    assert "kb_session" not in client.cookies
    other = TestClient(client.app, client=STAFF)  # a fresh browser: no login cookie at all
    token = csrf_of(client.get("/admin/login").text)
    res = other.post("/admin/login", data={"username": "zhang", "password": PASSWORD,
                                           "csrf_token": token}, follow_redirects=False)
    assert res.status_code == 403
    with Session(demo_engine) as s:
        assert s.exec(select(UserSession)).all() == []


def test_repeated_failures_lock_sign_in_until_the_window_passes(demo_engine, web_settings):
    make_user(demo_engine, "zhang", roles=[Role.DRAFTER])
    app = create_app(web_settings.model_copy(update={"login_window_s": 5}))
    with TestClient(app, client=STAFF) as c:
        for _ in range(5):
            assert post_login(c, "zhang", password="wrong-password").status_code == 401
        locked = post_login(c, "zhang")  # the right password, refused while locked
        assert locked.status_code == 429 and "登录失败次数过多" in locked.text
        wait = int(locked.headers["Retry-After"])
        assert 1 <= wait <= 5
        time.sleep(wait + 0.2)
        assert post_login(c, "zhang").status_code == 303
    with Session(demo_engine) as s:
        assert len(entries(session=s, action="login.throttled")) == 1
        assert len(entries(session=s, action="login.fail")) == 5


def test_wrong_passwords_from_elsewhere_do_not_lock_the_real_user_out(demo_engine, web_settings):
    make_user(demo_engine, "zhang", roles=[Role.DRAFTER])
    app = create_app(web_settings)
    with TestClient(app, client=PUBLIC) as attacker, TestClient(app, client=STAFF) as user:
        for _ in range(5):
            assert post_login(attacker, "zhang", password="wrong-password").status_code == 401
        assert post_login(attacker, "zhang").status_code == 429  # that address must wait
        assert post_login(user, "zhang").status_code == 303  # the user, from their own desk


def test_sign_out_needs_the_csrf_token_and_ends_the_session(client, demo_engine):
    make_user(demo_engine, "zhang", roles=[Role.DRAFTER])
    token = login(client, "zhang")
    stolen = client.cookies["kb_session"]
    for data in ({}, {"csrf_token": "wrong"}):
        res = client.post("/admin/logout", data=data, follow_redirects=False)
        assert res.status_code == 403 and CSRF_FAILED in res.text
        assert client.get("/admin").status_code == 200  # still signed in
    res = client.post("/admin/logout", data={"csrf_token": token}, follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/admin/login"
    assert client.get("/admin", follow_redirects=False).status_code == 303
    replay = TestClient(client.app, client=STAFF, cookies={"kb_session": stolen})
    assert replay.get("/admin", follow_redirects=False).status_code == 303  # ended on the server
    with Session(demo_engine) as s:
        assert entries(session=s, action="logout")[0].actor == "zhang"


def test_csrf_token_may_come_in_a_header(client, demo_engine):
    make_user(demo_engine, "zhang", roles=[Role.DRAFTER])
    token = login(client, "zhang")
    res = client.post("/admin/logout", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert res.status_code == 303


def test_an_expired_session_signs_out(client, demo_engine):
    make_user(demo_engine, "zhang", roles=[Role.DRAFTER])
    login(client, "zhang")
    with session_scope(demo_engine) as s:
        row = s.exec(select(UserSession)).one()
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        s.add(row)
    res = client.get("/admin", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"].startswith("/admin/login")


def test_disabling_a_user_signs_them_out(client, demo_engine):
    make_user(demo_engine, "root", roles=[Role.ADMIN], department=None)
    zhang = make_user(demo_engine, "zhang", roles=[Role.DRAFTER])
    drafter = TestClient(client.app, client=STAFF)
    login(drafter, "zhang")
    token = login(client, "root")
    res = client.post(f"/admin/users/{zhang.id}/disable", data={"csrf_token": token},
                      follow_redirects=False)
    assert res.status_code == 303
    assert drafter.get("/admin", follow_redirects=False).status_code == 303
    assert post_login(drafter, "zhang").status_code == 401


@pytest.fixture
def probe(app):
    """Routes that exist only in this test, to reach the dependencies as another page would."""

    @app.get("/api/probe/me")
    def me(user: Annotated[User, Depends(require_user)]) -> dict:
        return {"username": user.username}

    @app.post("/admin/probe/review", dependencies=[Depends(verify_csrf)])
    def review(user: Annotated[User, Depends(require_role(Role.REVIEWER, Role.PUBLISHER))]) -> dict:
        return {"ok": user.username}

    return app


def test_api_asks_for_sign_in_with_401_json(probe, client, demo_engine):
    res = client.get("/api/probe/me")
    assert res.status_code == 401 and res.json() == {"detail": "请先登录"}
    make_user(demo_engine, "zhang", roles=[Role.DRAFTER])
    login(client, "zhang")
    assert client.get("/api/probe/me").json() == {"username": "zhang"}


def test_a_role_is_required_and_named(probe, client, demo_engine):
    make_user(demo_engine, "zhang", roles=[Role.DRAFTER])
    make_user(demo_engine, "li", roles=[Role.PUBLISHER])
    token = login(client, "zhang")
    res = client.post("/admin/probe/review", data={"csrf_token": token})
    assert res.status_code == 403 and "审核人或发布人" in res.text
    other = TestClient(client.app, client=STAFF)
    token = login(other, "li")
    assert other.post("/admin/probe/review", data={"csrf_token": token}).json() == {"ok": "li"}
    assert other.post("/admin/probe/review").status_code == 403  # the role alone is not enough


def test_staff_tools_open_to_signed_in_staff_anywhere(app, client, demo_engine):
    make_user(demo_engine, "agent7", roles=[Role.AGENT])
    outside = TestClient(app, client=PUBLIC)
    assert outside.get("/agent", follow_redirects=False).status_code == 303
    login(outside, "agent7")
    assert outside.get("/agent").status_code == 200
    assert outside.get("/api/agent/search", params={"q": "高企奖励"}).status_code == 200
    # The staff network grants nothing without a sign-in.
    assert client.get("/agent", follow_redirects=False).status_code == 303


def test_staff_networks_are_an_extra_restriction_never_a_grant(demo_engine, web_settings):
    app = create_app(web_settings.model_copy(update={"staff_networks": "10.0.0.0/8"}))
    make_user(demo_engine, "agent8", roles=[Role.AGENT])
    with TestClient(app, client=("10.1.2.3", 5000)) as inside:
        assert inside.get("/api/agent/panels").status_code == 401  # on the network, not signed in
        login(inside, "agent8")
        assert inside.get("/api/agent/panels").status_code == 200
        outside = TestClient(app, client=PUBLIC, cookies=dict(inside.cookies))
        assert outside.get("/api/agent/panels").status_code == 403  # signed in, off the network


def test_navigation_follows_roles(client, demo_engine):
    make_user(demo_engine, "root", roles=[Role.ADMIN], department=None, name="管理员甲")
    login(client, "root")
    page = client.get("/admin").text
    for href in ("/admin/users", "/admin/audit", "/admin/stats"):
        assert f'href="{href}"' in page
    assert "管理员甲 · 管理员" in page and 'action="/admin/logout"' in page
