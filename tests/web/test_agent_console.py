"""The 12345 agent console: staff only, search with highlighted clauses and ready scripts, side panels."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from kb.feedback.models import QuestionLog
from tests.web.conftest import STAFF
from tests.web.staff import login, make_user


@pytest.fixture(autouse=True)
def agent(client, demo_engine):
    """``client`` signed in as a hotline agent (staff tools need a sign-in with a role)."""
    make_user(demo_engine, "agent1", roles=["agent"], department="县政务服务中心")
    login(client, "agent1")


def test_console_is_for_staff_only(app, client, public, demo_engine):
    page = client.get("/agent")
    assert page.status_code == 200
    assert 'id="agent-q"' in page.text and "autofocus" in page.text
    assert '<option value="县科技局">' in page.text and '<option value="技术改造">' in page.text
    anonymous = public.get("/agent", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/admin/login")
    res = public.get("/api/agent/search", params={"q": "高企奖励"})
    assert res.status_code == 401 and "登录" in res.json()["detail"]
    assert public.get("/api/agent/panels").status_code == 401
    # Loopback is no longer staff: an anonymous client there is asked to sign in as well.
    local = TestClient(app, client=STAFF)
    assert local.get("/api/agent/panels").status_code == 401
    assert local.get("/api/agent/panels", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 401
    # A signed-in drafter has no agent role.
    make_user(demo_engine, "drafter9", roles=["drafter"])
    login(local, "drafter9")
    assert local.get("/api/agent/panels").status_code == 403


def test_console_script_is_served(client):
    js = client.get("/static/agent.js")
    assert js.status_code == 200 and "agent-copy" in js.text and "已复制" in js.text


def test_search_marks_query_words_and_gives_a_script(client):
    res = client.get("/api/agent/search", params={"q": "高新技术企业认定奖励"})
    assert res.status_code == 200
    data = res.json()
    top = data["hits"][0]
    assert top["title"] == "金湖县加快科技型企业培育的奖励办法"
    assert "<mark>高新技术企业</mark>" in top["html"] or "<mark>高新技术</mark>" in top["html"]
    script = top["script"]
    assert script.startswith(top["text"].strip())
    assert "依据：《金湖县加快科技型企业培育的奖励办法》（金科发〔2024〕8号）" in script
    assert "[有效]" in script and script.endswith("如需进一步咨询可拨打12345。")
    assert top["url"].startswith(f"/policies/{top['policy_id']}")
    assert {"answer", "confidence", "message", "question_id"} <= data.keys()


def test_script_for_a_revised_policy_warns_and_names_the_successor(client):
    data = client.get("/api/agent/search", params={"q": "技改设备投资补助", "validity": "已修订"}).json()
    script = data["hits"][0]["script"]
    assert "[已修订]" in script and "注意：该政策当前状态为“已修订”" in script
    assert "《金湖县推动工业企业技术改造和智能化改造的若干政策措施》（金政发〔2024〕12号）" in script


def test_filters_and_bad_filters(client):
    data = client.get("/api/agent/search", params={"q": "奖励", "department": "县商务局"}).json()
    assert data["hits"] and {h["title"] for h in data["hits"]} == {"金湖县促进外贸稳规模优结构的若干措施"}
    res = client.get("/api/agent/search", params={"q": "奖励", "theme": "", "department": "县宣传部"})
    assert res.status_code == 422 and "县宣传部" in res.json()["detail"]
    assert client.get("/api/agent/search", params={"q": " "}).status_code == 422


def test_typing_a_question_out_is_logged_once_as_agent(client, demo_engine):
    for q in ("高企", "高企认定", "高企认定奖励多少"):
        client.get("/api/agent/search", params={"q": q})
    client.get("/api/agent/search", params={"q": "外贸出口信用保险补贴"})
    with Session(demo_engine) as session:
        rows = session.exec(select(QuestionLog).order_by(QuestionLog.id)).all()
    assert [(r.question, r.channel) for r in rows] == [("高企认定奖励多少", "agent"),
                                                       ("外贸出口信用保险补贴", "agent")]


def test_side_panels_show_hot_and_unanswered_questions(app, client):
    for i in range(3):  # four people ask it (each asker counts once)
        TestClient(app, client=(f"198.51.100.{i}", 5000)).post(
            "/api/ask", json={"question": "高企认定奖励多少？"})
    client.post("/api/ask", json={"question": "高企认定奖励多少"})
    client.post("/api/ask", json={"question": "养猪场环评怎么办理"})  # nothing in the KB about it
    qid = client.post("/api/ask", json={"question": "大学毕业生生活补贴"}).json()["question_id"]
    client.post("/api/feedback", json={"question_id": qid, "helpful": False, "reason": "金额不对"})
    panels = client.get("/api/agent/panels").json()
    assert panels["hot"][0] == {"question": "高企认定奖励多少？", "count": 4}
    unanswered = [u["question"] for u in panels["unanswered"]]
    assert unanswered[:2] == ["大学毕业生生活补贴", "养猪场环评怎么办理"]
    page = client.get("/agent").text
    assert "高企认定奖励多少？" in page and "（4次）" in page and "养猪场环评怎么办理" in page


def test_the_hot_panel_says_how_many_were_asked_and_why_none_is_hot(client):
    # Questions asked by one person each are not hot: the panel must not claim nobody asked.
    for text in ("高企认定奖励多少？", "养猪场环评怎么办理", "大学毕业生生活补贴"):
        client.post("/api/ask", json={"question": text})
    page = client.get("/agent").text
    assert "今天还没有提问" not in page
    assert "今天共 3 次提问" in page and "今天还没有 2 位以上提问人问过的同一问题" in page
    assert client.get("/api/agent/panels").json()["asked_today"] == 3
