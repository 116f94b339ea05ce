"""Account administration pages: admin only, every change by a CSRF-checked, audited post."""

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from kb.models import Department
from kb.staff.audit import entries
from kb.staff.models import Role, User
from tests.web.conftest import STAFF
from tests.web.staff import PASSWORD, login, make_user


@pytest.fixture
def admin(client, demo_engine):
    """The staff client signed in as an administrator; returns its CSRF token."""
    make_user(demo_engine, "root", roles=[Role.ADMIN], department=None, name="管理员甲")
    return login(client, "root")


def users(engine) -> dict[str, User]:
    with Session(engine) as s:
        return {u.username: u for u in s.exec(select(User))}


def test_only_admins_open_the_account_pages(client, public, demo_engine):
    res = public.get("/admin/users", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/admin/login?next=%2Fadmin%2Fusers"
    make_user(demo_engine, "zhang", roles=[Role.DRAFTER, Role.REVIEWER])
    token = login(client, "zhang")
    page = client.get("/admin/users")
    assert page.status_code == 403 and "管理员" in page.text
    res = client.post("/admin/users", data={"csrf_token": token, "username": "evil",
                                            "name": "某", "password": PASSWORD,
                                            "roles": ["admin"]})
    assert res.status_code == 403 and "evil" not in users(demo_engine)


def test_admin_sees_every_account(client, demo_engine, admin):
    make_user(demo_engine, "zhang", roles=[Role.DRAFTER, Role.REVIEWER], name="张三")
    page = client.get("/admin/users")
    assert page.status_code == 200
    row = re.search(r'<tr id="user-zhang">(.*?)</tr>', page.text, re.S).group(1)
    for text in ("张三", "县科技局", "拟稿人、审核人", "在用", "从未登录", "停用", "重置密码"):
        assert text in row
    own = re.search(r'<tr id="user-root">(.*?)</tr>', page.text, re.S).group(1)
    assert "停用" not in own  # no button to lock yourself out


def test_admin_creates_an_account_that_can_sign_in(client, demo_engine, admin):
    res = client.post("/admin/users", data={
        "csrf_token": admin, "username": "wang", "name": "王五", "department": "县数据局",
        "password": PASSWORD, "roles": ["drafter", "agent"]}, follow_redirects=False)
    assert res.status_code == 303
    page = client.get(res.headers["location"])
    assert "已创建账号 wang" in page.text and "新建了部门“县数据局”" in page.text
    wang = users(demo_engine)["wang"]
    assert wang.roles == ["drafter", "agent"] and wang.active
    with Session(demo_engine) as s:
        assert s.get(Department, wang.department_id).name == "县数据局"
        created = entries(session=s, action="user.create")[0]
    assert (created.actor, created.record_id, created.client) == ("root", wang.id, STAFF[0])
    browser = TestClient(client.app, client=STAFF)
    login(browser, "wang")
    assert "王五，您好" in browser.get("/admin").text


def test_a_refused_form_comes_back_filled_in_and_nothing_is_written(client, demo_engine, admin):
    form = {"csrf_token": admin, "username": "wang", "name": "王五", "department": "县新部门",
            "password": "short", "roles": ["reviewer"]}
    res = client.post("/admin/users", data=form)
    assert res.status_code == 422 and "密码至少 10 个字符" in res.text
    assert 'value="wang"' in res.text and 'value="县新部门"' in res.text
    assert re.search(r'value="reviewer" checked', res.text)
    res = client.post("/admin/users", data=form | {"password": PASSWORD, "username": "root"})
    assert res.status_code == 409 and "已被使用" in res.text
    assert set(users(demo_engine)) == {"root"}
    with Session(demo_engine) as s:
        assert s.exec(select(Department).where(Department.name == "县新部门")).first() is None


def test_posts_without_the_csrf_token_change_nothing(client, demo_engine, admin):
    zhang = make_user(demo_engine, "zhang", roles=[Role.DRAFTER])
    for url, data in ((f"/admin/users/{zhang.id}/disable", {}),
                      (f"/admin/users/{zhang.id}/password", {"password": "new-password-1"}),
                      ("/admin/users", {"username": "wang", "name": "王五", "password": PASSWORD,
                                        "department": "县科技局", "roles": ["drafter"]})):
        for token in (None, "wrong-token"):
            sent = data | ({"csrf_token": token} if token else {})
            res = client.post(url, data=sent)
            assert res.status_code == 403 and "CSRF" in res.text
    after = users(demo_engine)
    assert set(after) == {"root", "zhang"} and after["zhang"].active
    assert after["zhang"].password_hash == zhang.password_hash


def test_disable_enable_and_reset_password(client, demo_engine, admin):
    zhang = make_user(demo_engine, "zhang", roles=[Role.DRAFTER])
    browser = TestClient(client.app, client=STAFF)
    login(browser, "zhang")

    res = client.post(f"/admin/users/{zhang.id}/disable", data={"csrf_token": admin})
    assert "已停用 zhang" in res.text and not users(demo_engine)["zhang"].active
    assert browser.get("/admin", follow_redirects=False).status_code == 303
    client.post(f"/admin/users/{zhang.id}/enable", data={"csrf_token": admin})
    assert users(demo_engine)["zhang"].active
    login(browser, "zhang")

    short = client.post(f"/admin/users/{zhang.id}/password",
                        data={"csrf_token": admin, "password": "short"})
    assert short.status_code == 422 and "zhang：密码至少 10 个字符" in short.text
    res = client.post(f"/admin/users/{zhang.id}/password",
                      data={"csrf_token": admin, "password": "brand-new-pass"})
    assert "已为 zhang 设置新密码" in res.text
    assert browser.get("/admin", follow_redirects=False).status_code == 303  # signed out
    login(browser, "zhang", "brand-new-pass")

    with Session(demo_engine) as s:
        done = [e.action for e in entries(session=s, actor="root", record_id=zhang.id)]
    assert done == ["user.password", "user.enable", "user.disable"]


def test_admin_cannot_disable_themselves(client, demo_engine, admin):
    root = users(demo_engine)["root"]
    res = client.post(f"/admin/users/{root.id}/disable", data={"csrf_token": admin})
    assert res.status_code == 409 and "不能停用自己" in res.text
    assert users(demo_engine)["root"].active
    assert client.post("/admin/users/9999/enable", data={"csrf_token": admin}).status_code == 404


def test_a_crafted_notice_link_shows_nothing(client, admin):
    page = client.get("/admin/users", params={"done": "created", "who": "请拨打 400-xxx"})
    assert "请拨打" not in page.text
    assert "已创建账号 root" in client.get("/admin/users?done=created&who=root").text
