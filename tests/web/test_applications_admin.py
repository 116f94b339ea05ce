"""Staff application pages: register, queue per node, batch moves (all or none), CSV import."""

from sqlmodel import Session, func, select

from push.applications.models import Application, ApplicationMove, Node
from tests.push.applications.app_utils import seed
from tests.web.staff import login


def _count(engine, model) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _new(client, csrf, uscc, policy_id) -> str:
    res = client.post("/admin/applications/new", data={
        "csrf_token": csrf, "uscc": uscc, "policy_id": policy_id}, follow_redirects=False)
    assert res.status_code == 303, res.text
    return res.headers["location"].rsplit("/", 1)[1]


def test_register_queue_and_batch_move(client, demo_engine):
    s = seed(demo_engine)
    csrf = login(client, "kj-clerk")
    first, second = _new(client, csrf, s.uscc, s.policy_id), _new(client, csrf, s.other_uscc,
                                                                  s.policy_id)
    page = client.get("/admin/applications?node=submitted")
    assert first in page.text and second in page.text and "已提交（2）" in page.text
    res = client.post("/admin/applications/move", data={
        "csrf_token": csrf, "ref": [first, second], "to": "accepted", "note": "已受理"},
        follow_redirects=False)
    assert res.status_code == 303
    assert "已将2件申报转到" in client.get(res.headers["location"]).text
    # Approving needs an amount; without one the whole batch is refused and nothing moves.
    for node in ("reviewing", "publicity"):
        client.post("/admin/applications/move", data={"csrf_token": csrf, "ref": [first, second],
                                                      "to": node})
    moves = _count(demo_engine, ApplicationMove)
    res = client.post("/admin/applications/move", data={
        "csrf_token": csrf, "ref": [first, second, "SB2222222222"], "to": "approved",
        "amount": "10"})
    assert res.status_code == 409 and "本批均未办理" in res.text and "SB2222222222" in res.text
    assert _count(demo_engine, ApplicationMove) == moves
    with Session(demo_engine) as session:
        assert set(session.exec(select(Application.node)).all()) == {Node.PUBLICITY}
    detail = client.get(f"/admin/applications/{first}")
    assert detail.status_code == 200 and "公示中" in detail.text and s.uscc in detail.text


def test_other_department_and_other_roles_are_refused(client, demo_engine):
    s = seed(demo_engine)
    csrf = login(client, "kj-clerk")
    ref = _new(client, csrf, s.uscc, s.policy_id)
    client.post("/admin/logout", data={"csrf_token": csrf})
    csrf = login(client, "sw-clerk")
    res = client.get(f"/admin/applications/{ref}")
    assert res.status_code == 403 and s.uscc not in res.text
    assert ref not in client.get("/admin/applications").text
    res = client.post(f"/admin/applications/{ref}/move", data={
        "csrf_token": csrf, "to": "accepted"})
    assert res.status_code == 403
    res = client.post("/admin/applications/new", data={
        "csrf_token": csrf, "uscc": s.uscc, "policy_id": s.policy_id})
    assert res.status_code == 403 and "只能处理本部门" in res.text
    assert _count(demo_engine, Application) == 1
    client.post("/admin/logout", data={"csrf_token": csrf})
    login(client, "kj-writer")
    assert client.get("/admin/applications").status_code == 403


def test_csv_import_is_all_or_nothing_with_line_errors(client, demo_engine):
    s = seed(demo_engine)
    csrf = login(client, "kj-clerk")
    bad = (f"统一社会信用代码,政策编号,申请金额\n{s.uscc},{s.policy_id},12\n"
           f"91320000MA00000000,{s.policy_id},\n{s.other_uscc},{s.other_policy_id},3\n"
           f"{s.other_uscc},abc,\n")
    res = client.post("/admin/applications/import", data={"csrf_token": csrf},
                      files={"file": ("申报.csv", bad.encode(), "text/csv")})
    assert res.status_code == 422
    for line in ("第3行", "第4行：只能处理本部门", "第5行：政策编号不是数字"):
        assert line in res.text
    assert "第2行" not in res.text and "申报.csv" in res.text
    assert _count(demo_engine, Application) == 0
    good = f"uscc,policy_id,amount\n{s.uscc},{s.policy_id},12\n{s.other_uscc},{s.policy_id},\n"
    res = client.post("/admin/applications/import", data={"csrf_token": csrf},
                      files={"file": ("ok.csv", good.encode(), "text/csv")})
    assert "已导入2件申报" in res.text
    assert _count(demo_engine, Application) == 2


def test_statistics_page_and_csv(client, demo_engine):
    from tests.push.applications.test_stats import make_set

    make_set(demo_engine)
    login(client, "kj-clerk")
    page = client.get("/admin/applications/stats")
    assert page.status_code == 200
    row = page.text.split("金湖县高新技术企业奖励办法", 1)[1].split("</tr>", 1)[0]
    assert '<td data-node="submitted" class="days">1.5 / 3</td>' in row
    assert '<td data-node="submitted" class="share">50%</td>' in row
    assert '<td data-node="accepted" class="share">100%</td>' in row
    res = client.get("/admin/applications/stats.csv?by=department")
    assert res.headers["content-type"].startswith("text/csv")
    assert "县科技局" in res.text and "已提交用时中位数" in res.text


def test_promises_and_holidays_through_the_pages(client, demo_engine):
    from datetime import date

    from tests.web.staff import make_user

    s = seed(demo_engine)
    make_user(demo_engine, "county-admin", roles=["admin"], department=None)
    csrf = login(client, "kj-clerk")
    res = client.post("/admin/applications/calendar/day", data={
        "csrf_token": csrf, "day": "2026-10-01", "kind": "holiday", "name": "国庆节"})
    assert res.status_code == 403
    res = client.post("/admin/applications/calendar/promise", data={
        "csrf_token": csrf, "node": "accepted", "days": "2", "policy_id": str(s.other_policy_id)})
    assert res.status_code == 403  # another department's policy
    res = client.post("/admin/applications/calendar/promise", data={
        "csrf_token": csrf, "node": "accepted", "days": "2", "policy_id": ""})
    assert "承诺2个工作日" in res.text and "部门：县科技局" in res.text
    client.post("/admin/logout", data={"csrf_token": csrf})
    csrf = login(client, "county-admin")
    res = client.post("/admin/applications/calendar/day", data={
        "csrf_token": csrf, "day": "2026-10-01", "kind": "holiday", "name": "国庆节"})
    assert "国庆节" in res.text
    from push.calendar.days import Calendar

    with Session(demo_engine) as session:
        assert not Calendar.load(session).is_workday(date(2026, 10, 1))


def test_registering_for_a_policy_nobody_can_apply_to_is_refused_with_the_reason(client,
                                                                                 demo_engine):
    from datetime import date

    from kb.database.db import session_scope
    from kb.models import Policy

    s = seed(demo_engine)
    with session_scope(demo_engine) as session:
        closed = session.get(Policy, s.policy_id)
        closed.apply_from, closed.apply_to = date(2020, 3, 1), date(2020, 3, 31)
    csrf = login(client, "kj-clerk")
    page = client.get("/admin/applications").text
    assert "申报期已于2020-03-31截止，补录须写明理由" in page  # offered, with what it needs
    before = _count(demo_engine, Application)
    res = client.post("/admin/applications/new", data={
        "csrf_token": csrf, "uscc": s.uscc, "policy_id": s.policy_id}, follow_redirects=False)
    assert res.status_code == 409 and "已于2020-03-31截止" in res.text
    assert _count(demo_engine, Application) == before
    res = client.post("/admin/applications/new", data={
        "csrf_token": csrf, "uscc": s.uscc, "policy_id": s.policy_id,
        "late_reason": "企业3月30日已在窗口递交纸质材料"}, follow_redirects=False)
    assert res.status_code == 303 and _count(demo_engine, Application) == before + 1
