"""The firm's signed page shows its applications as timelines; the hotline looks them up."""

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from kb.database.db import session_scope
from kb.staff.models import User
from push.applications.models import Node
from push.applications.service import advance, create, handler_for
from push.delivery.tokens import firm_token
from tests.push.applications.app_utils import seed
from tests.web.staff import login, make_user


def _application(engine, s, *, days_ago: int = 40) -> str:
    at = datetime.now(UTC) - timedelta(days=days_ago)
    with session_scope(engine) as session:
        clerk = handler_for(session.exec(select(User).where(User.username == "kj-clerk")).one())
        app = create(session=session, handler=clerk, uscc=s.uscc, policy_id=s.policy_id, at=at)
        advance(session=session, handler=clerk, ref=app.ref, to=Node.ACCEPTED, at=at,
                note="材料齐全")
        return app.ref


def test_firm_page_shows_the_timeline_with_overdue(client, app, demo_engine):
    s = seed(demo_engine)
    ref = _application(demo_engine, s)
    token = firm_token(key=app.state.settings.signing_key(), firm_id=s.firm_id)
    page = client.get(f"/push/firm?token={token}")
    assert page.status_code == 200
    mine = page.text.split('aria-label="我的申报"', 1)[1].split("</section>", 1)[0]
    assert ref in mine and "已受理" in mine and "材料齐全" in mine and "已超期" in mine


def test_hotline_looks_up_by_ref_and_by_credit_code(client, public, demo_engine):
    s = seed(demo_engine)
    make_user(demo_engine, "agent1", roles=["agent"], department="县政务服务中心")
    login(client, "agent1")  # the hotline signs in: staff tools need a role
    ref = _application(demo_engine, s)
    by_ref = client.get("/api/agent/applications", params={"q": ref.lower()}).json()["items"]
    assert [i["ref"] for i in by_ref] == [ref]
    script = by_ref[0]["script"]
    assert "已受理" in script and "已超过承诺时限" in script and "0517-86880001" in script
    by_code = client.get("/api/agent/applications", params={"q": s.uscc}).json()["items"]
    assert [i["ref"] for i in by_code] == [ref]
    assert client.get("/api/agent/applications", params={"q": "nothing"}).json()["items"] == []
    page = client.get("/agent/applications", params={"q": s.uscc})
    assert page.status_code == 200 and "答复口径" in page.text and ref in page.text
    assert public.get("/api/agent/applications", params={"q": ref}).status_code == 401
