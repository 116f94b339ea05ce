"""The audit log viewer: admin only, newest first, filters, paging, CSV for Excel."""

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient

from kb.database.db import session_scope
from kb.staff.audit import SYSTEM, record
from kb.staff.models import Role
from tests.web.conftest import PUBLIC
from tests.web.staff import PASSWORD, csrf_of, login, make_user


@pytest.fixture
def admin(client, demo_engine):
    """The staff client signed in as an administrator."""
    make_user(demo_engine, "root", roles=[Role.ADMIN], department=None)
    return login(client, "root")


def ids_on(page: str) -> list[int]:
    return [int(i) for i in re.findall(r"<tr><td>(\d+)</td>", page)]


def test_only_admins_read_the_audit_log(client, public, demo_engine):
    res = public.get("/admin/audit.csv", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"].startswith("/admin/login?next=")
    make_user(demo_engine, "zhang", roles=[Role.DRAFTER, Role.PUBLISHER])
    login(client, "zhang")
    for url in ("/admin/audit", "/admin/audit.csv"):
        res = client.get(url)
        assert res.status_code == 403 and "管理员" in res.text


def test_entries_newest_first_with_filters(client, demo_engine, admin):
    make_user(demo_engine, "zhang", roles=[Role.DRAFTER], department="县数据局")
    page = client.get("/admin/audit").text
    ids = ids_on(page)
    assert ids == sorted(ids, reverse=True) and len(ids) == 4  # 2 accounts, 1 department, 1 login
    assert "<td>新建账号</td>" in page and "<td>登录</td>" in page  # what happened, in words
    assert "username：zhang" in page and '{"' not in page  # details read as fields, not JSON
    assert '<option value="user.create">新建账号</option>' in page  # 操作 picked from a list

    only_root = client.get("/admin/audit", params={"actor": "root"}).text
    assert len(ids_on(only_root)) == 1 and 'name="actor" value="root"' in only_root
    creates = client.get("/admin/audit", params={"action": "user.create"}).text
    assert len(ids_on(creates)) == 2
    one = client.get("/admin/audit", params={"record_kind": "department", "record_id": ""}).text
    assert len(ids_on(one)) == 1 and "县数据局" in one
    bad = client.get("/admin/audit", params={"record_id": "abc"})
    assert bad.status_code == 422 and "记录编号应为整数" in bad.text


def test_paging_goes_back_in_time(client, demo_engine, admin):
    with session_scope(demo_engine) as s:
        for i in range(120):
            record(session=s, actor=SYSTEM, action="test.tick", detail={"i": i})
    first = client.get("/admin/audit", params={"action": "test.tick"}).text
    assert len(ids_on(first)) == 100
    older = re.search(r'href="(/admin/audit\?[^"]*before_id=\d+[^"]*)"', first).group(1)
    second = client.get(older.replace("&amp;", "&")).text
    assert len(ids_on(second)) == 20 and max(ids_on(second)) < min(ids_on(first))
    assert "更早的记录" not in second and "最新的记录" in second


def test_csv_export_opens_in_excel_and_defuses_formulas(client, demo_engine, admin):
    stranger = TestClient(client.app, client=PUBLIC)  # signs in with a formula as username
    stranger.post("/admin/login", data={"username": '=HYPERLINK("http://x")', "password": PASSWORD,
                                        "csrf_token": csrf_of(stranger.get("/admin/login").text)})
    res = client.get("/admin/audit.csv")
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/csv")
    assert "attachment" in res.headers["content-disposition"]
    assert res.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(res.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["编号", "时间（北京时间）", "账号", "操作"]
    assert len(rows) == 1 + 3  # created root, root signed in, the formula attempt
    failed = next(r for r in rows if r[3] == "登录失败")
    assert failed[2] == "'=hyperlink(\"http://x\")"
    created = next(r for r in rows if r[3] == "新建账号")
    assert created[2] == "system" and "username：root" in created[6]
    narrowed = client.get("/admin/audit.csv", params={"action": "login.ok"}).content
    assert len(list(csv.reader(io.StringIO(narrowed.decode("utf-8-sig"))))) == 2


def test_filter_by_day(client, demo_engine, admin):
    from datetime import UTC, datetime

    from kb.staff.models import AuditEntry

    with session_scope(demo_engine) as s:
        # 23:30 UTC on 1 March is 07:30 on 2 March in the county: the county's day counts.
        s.add(AuditEntry(actor="system", action="test.old", at=datetime(2025, 3, 1, 23, 30, tzinfo=UTC)))
    on_day = client.get("/admin/audit", params={"since": "2025-03-02", "until": "2025-03-02"}).text
    assert len(ids_on(on_day)) == 1 and "test.old" in on_day
    assert 'name="since" value="2025-03-02"' in on_day
    before = client.get("/admin/audit", params={"until": "2025-03-01"}).text
    assert ids_on(before) == []
    later = client.get("/admin/audit", params={"since": "2025-03-03"}).text
    assert "test.old" not in later and len(ids_on(later)) == 2  # root created, root signed in
    narrowed = client.get("/admin/audit.csv", params={"since": "2025-03-02", "until": "2025-03-02"})
    assert len(list(csv.reader(io.StringIO(narrowed.content.decode("utf-8-sig"))))) == 2
    bad = client.get("/admin/audit", params={"since": "2025-02-30"})
    assert bad.status_code == 422 and "日期从" in bad.text  # the form's label, not "since"
    backwards = client.get("/admin/audit", params={"since": "2025-03-05", "until": "2025-03-01"})
    assert backwards.status_code == 422 and "起始日期晚于截止日期" in backwards.text
