"""Push pages over HTTP: one-click unsubscribe, tracked links, the firm page, the staff page."""

import pytest
from sqlmodel import Session, select

from kb.database.db import session_scope
from push.delivery.models import FirmPolicyMark, InboxMessage, Push, Subscription
from push.delivery.subscriptions import suspend_channel
from push.delivery.tokens import firm_token, track_token, unsubscribe_token
from tests.push.push_utils import NOW, add_firms, make_worker, publish
from tests.web.staff import login, make_user


@pytest.fixture
def delivered(demo_engine, web_settings):
    """Two firms told about one policy through the inbox; returns (firm ids, policy id)."""
    ids = add_firms(demo_engine, 2, start=500)
    pid = publish(demo_engine, title="推送页面测试政策", themes=["技术改造", "数字化转型"])
    assert make_worker(demo_engine, web_settings).run_once(now=NOW).delivered == 2
    return ids, pid


def _sub(engine, firm_id):
    with Session(engine) as session:
        return session.exec(select(Subscription).where(Subscription.firm_id == firm_id)).first()


def test_unsubscribe_confirms_then_applies_without_login(public, demo_engine, web_settings, delivered):
    (firm, _), _ = delivered
    token = unsubscribe_token(key=web_settings.signing_key(), firm_id=firm)
    page = public.get(f"/push/unsubscribe?token={token}")
    assert page.status_code == 200 and "确认退订" in page.text and "企业500" in page.text
    assert _sub(demo_engine, firm) is None or _sub(demo_engine, firm).active  # GET changes nothing
    done = public.post(f"/push/unsubscribe?token={token}",
                       data={"List-Unsubscribe": "One-Click"})  # RFC 8058 one-click
    assert done.status_code == 200 and "已退订" in done.text
    assert _sub(demo_engine, firm).active is False


def test_theme_unsubscribe_mutes_only_that_theme(public, demo_engine, web_settings, delivered):
    (firm, _), _ = delivered
    token = unsubscribe_token(key=web_settings.signing_key(), firm_id=firm, theme="技术改造")
    assert "“技术改造”" in public.post("/push/unsubscribe", data={"token": token}).text
    sub = _sub(demo_engine, firm)
    assert sub.active and sub.muted_themes == ["技术改造"]


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # tampered signature
    lambda t: "eyJmIjoyLCJ0IjpudWxsfQ." + t.split(".")[1],  # firm 2 in firm 1 token
    lambda t: "",
    lambda t: "garbage",
])
def test_forged_unsubscribe_token_is_a_400_page(public, web_settings, delivered, mangle):
    (firm, _), _ = delivered
    token = unsubscribe_token(key=web_settings.signing_key(), firm_id=firm)
    for res in (public.get(f"/push/unsubscribe?token={mangle(token)}"),
                public.post(f"/push/unsubscribe?token={mangle(token)}")):
        assert res.status_code == 400 and "链接无效" in res.text


def test_firm_token_cannot_unsubscribe(public, web_settings, delivered):
    (firm, _), _ = delivered
    token = firm_token(key=web_settings.signing_key(), firm_id=firm)
    assert public.post(f"/push/unsubscribe?token={token}").status_code == 400


def test_tracked_link_records_click_and_redirects(public, demo_engine, web_settings, delivered):
    _, pid = delivered
    with Session(demo_engine) as session:
        push = session.exec(select(Push).where(Push.policy_id == pid)).first()
    token = track_token(key=web_settings.signing_key(), push_id=push.id)
    res = public.get(f"/push/r/{token}", follow_redirects=False)
    assert res.status_code == 302 and res.headers["location"].endswith(f"/policies/{pid}")
    assert public.get(f"/push/o/{token}.gif").headers["content-type"] == "image/gif"
    with Session(demo_engine) as session:
        push = session.get(Push, push.id)
    assert push.clicked_at is not None and push.opened_at is not None
    assert public.get(f"/push/r/{push.id}-forged0000", follow_redirects=False).status_code == 400


def test_firm_page_shows_inbox_marks_read_and_saves_settings_and_marks(
        public, demo_engine, web_settings, delivered):
    (firm, _), pid = delivered
    token = firm_token(key=web_settings.signing_key(), firm_id=firm)
    page = public.get(f"/push/firm?token={token}")
    assert page.status_code == 200 and "推送页面测试政策" in page.text and "1条未读" in page.text
    with Session(demo_engine) as session:
        msg = session.exec(select(InboxMessage).where(InboxMessage.firm_id == firm)).one()
        push = session.exec(select(Push).where(Push.firm_id == firm)).one()
    assert msg.read_at is not None and push.opened_at is not None  # inbox read counts as opened
    assert "0条未读" in public.get(f"/push/firm?token={token}").text
    res = public.post("/push/firm/settings", data={
        "token": token, "frequency": "daily", "themes": "技术改造，融资担保",
        "channels": ["inbox"], "quiet_start": "22:00", "quiet_end": "08:00", "active": "1"})
    assert res.status_code == 200  # redirected back to the page
    sub = _sub(demo_engine, firm)
    assert (sub.frequency, sub.themes, sub.quiet_start) == ("daily", ["技术改造", "融资担保"], "22:00")
    public.post("/push/firm/mark", data={"token": token, "policy_id": pid, "mark": "applied"})
    with Session(demo_engine) as session:
        mark = session.exec(select(FirmPolicyMark)).one()
    assert (mark.firm_id, mark.policy_id, mark.mark) == (firm, pid, "applied")
    assert "已申报" in public.get(f"/push/firm?token={token}").text
    bad = public.post("/push/firm/settings", data={"token": token, "quiet_start": "25点"})
    assert bad.status_code == 422
    assert public.get("/push/firm?token=nope.nope").status_code == 400


def test_admin_page_is_staff_only_and_shows_funnel_failures_and_suspensions(
        client, public, demo_engine, web_settings, delivered):
    (firm, other), pid = delivered
    with session_scope(demo_engine) as session:
        push = session.exec(select(Push).where(Push.firm_id == other)).one()
        push.status, push.attempts, push.last_error = "dead", 6, "第6次失败：HTTP 500 boom"
        session.add(push)
        suspend_channel(session=session, firm_id=firm, channel="email", reason="硬退信：550 no user")
    public_res = public.get("/admin/push", follow_redirects=False)
    assert public_res.status_code == 303  # to sign-in, loopback or not
    assert client.get("/admin/push", follow_redirects=False).status_code == 303
    make_user(demo_engine, "pushadmin", roles=["admin"], department=None)
    login(client, "pushadmin")
    page = client.get("/admin/push")
    assert page.status_code == 200
    assert "推送页面测试政策" in page.text and "HTTP 500 boom" in page.text
    assert "硬退信：550 no user" in page.text
    # Inside the admin layout: the staff navigation, with this page marked as the current one.
    assert 'aria-label="工作人员导航"' in page.text
    assert '<a href="/admin/push" aria-current="page">推送管理</a>' in page.text
    csv = client.get("/admin/push/funnel.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "推送,送达,打开,点击,已申报" in csv.text and "推送页面测试政策,2,1,0,0,0" in csv.text
    by_department = client.get("/admin/push/funnel.csv?by=department")
    assert by_department.status_code == 200 and "未指定部门,2,1,0,0,0" in by_department.text
    assert public.get("/admin/push/funnel.csv", follow_redirects=False).status_code == 303


def test_firm_page_shows_the_webhook_secret_generated_on_first_use(public, demo_engine, web_settings):
    [firm] = add_firms(demo_engine, 1, start=600, channels=["webhook"],
                       webhook_url="https://erp.example.test/hook")
    page = public.get(f"/push/firm?token={firm_token(key=web_settings.signing_key(), firm_id=firm)}")
    secret = _sub(demo_engine, firm).webhook_secret
    assert secret.startswith("whsec_") and secret in page.text and "X-PolicyKB-Signature" in page.text
