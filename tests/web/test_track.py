"""/track over HTTP: the same answer for unknown refs and wrong codes, and a throttle per client."""

from fastapi.testclient import TestClient
from sqlmodel import select

from kb.database.db import session_scope
from kb.staff.models import User
from push.applications.service import create, handler_for
from tests.push.applications.app_utils import seed
from tests.web.conftest import PUBLIC


def test_thirty_wrong_tries_are_throttled(app, demo_engine, client):
    s = seed(demo_engine)
    with session_scope(demo_engine) as session:
        clerk = handler_for(session.exec(select(User).where(User.username == "kj-clerk")).one())
        ref = create(session=session, handler=clerk, uscc=s.uscc, policy_id=s.policy_id).ref
    guesser = TestClient(app, client=PUBLIC)
    answers = set()
    for i in range(30):
        res = guesser.post("/track", data={"ref": ref if i % 2 else f"SB{i:010d}",
                                           "code": f"{i:06d}"})
        assert res.status_code == 200
        answers.add(res.text.replace(f"SB{i:010d}", "").replace(ref, ""))
    assert len(answers) == 1  # unknown ref and wrong code read the same
    res = guesser.post("/track", data={"ref": ref, "code": s.uscc[-6:]})
    assert res.status_code == 429 and "查询过于频繁" in res.text
    assert int(res.headers["Retry-After"]) > 0
    other = TestClient(app, client=("198.51.100.9", 5000))  # another client is not held back
    res = other.post("/track", data={"ref": ref, "code": s.uscc[-6:]})
    assert res.status_code == 200 and "已提交" in res.text and "未查到" not in res.text


def test_api_track_answers_json_without_firm_data(app, demo_engine, client):
    s = seed(demo_engine)
    with session_scope(demo_engine) as session:
        clerk = handler_for(session.exec(select(User).where(User.username == "kj-clerk")).one())
        ref = create(session=session, handler=clerk, uscc=s.uscc, policy_id=s.policy_id,
                     amount=12).ref
    res = client.post("/api/track", json={"ref": ref, "code": s.uscc[-6:]})
    assert res.status_code == 200
    data = res.json()
    assert data["node"] == "submitted" and [n["node"] for n in data["nodes"]] == ["submitted"]
    assert "firm" not in data and "amount_requested" not in data and s.uscc not in res.text
    assert "amount_approved" not in data and "amount" not in data["nodes"][0]
    wrong = client.post("/api/track", json={"ref": ref, "code": "000000"})
    unknown = client.post("/api/track", json={"ref": "SB2222222222", "code": s.uscc[-6:]})
    assert wrong.status_code == unknown.status_code == 404 and wrong.json() == unknown.json()
