"""POST /api/ask and POST /api/feedback over HTTP: answers, filters, the question log, bad input."""

import pytest
from sqlmodel import Session, select

from kb.feedback.models import Feedback, QuestionLog


def test_answer_is_the_answer_object_plus_a_logged_question_id(client, demo_engine):
    res = client.post("/api/ask", json={"question": "大学毕业生来金湖就业有生活补贴吗",
                                        "channel": "widget"}, headers={"X-Request-ID": "proxy-7f3a"})
    assert res.status_code == 200
    data = res.json()
    assert data["answer"]["doc_number"] == "金人社规〔2023〕2号"
    assert {"query", "answer", "answer_type", "confidence", "message", "hits"} <= data.keys()
    client.app.state.questions.flush()  # written in batches (kb.feedback.writer)
    with Session(demo_engine) as session:
        row = session.get(QuestionLog, data["question_id"])
    assert row.question == "大学毕业生来金湖就业有生活补贴吗" and row.channel == "widget"
    assert row.answer_type == data["answer_type"] and row.policy_id == data["answer"]["policy_id"]
    assert row.hits == [h["passage_id"] for h in data["hits"]]
    assert "127.0.0.1" not in row.client_hash and len(row.client_hash) == 64
    assert row.request_id == "proxy-7f3a"  # the access log line and the question share an id


def test_filters_restrict_the_answer(client):
    free = client.post("/api/ask", json={"question": "技改设备投资能补多少", "k": 10}).json()
    assert {h["validity"] for h in free["hits"]} > {"有效"}  # the revised 2021 policy shows up
    only_valid = client.post("/api/ask", json={"question": "技改设备投资能补多少", "k": 10,
                                               "filters": {"validity": ["有效"]}}).json()
    assert only_valid["hits"] and {h["validity"] for h in only_valid["hits"]} == {"有效"}
    dept = client.post("/api/ask", json={"question": "奖励多少钱", "k": 10,
                                         "filters": {"department": "县科技局"}}).json()
    assert dept["hits"] and {h["title"] for h in dept["hits"]} == {"金湖县加快科技型企业培育的奖励办法"}


@pytest.mark.parametrize(("body", "words"), [
    ({"question": ""}, ["不能为空"]),
    ({"question": "   "}, ["不能为空"]),
    ({"question": "问" * 2000}, ["2000", "500"]),
    ({}, ["question", "缺少"]),
    ({"question": "高企奖励", "filters": {"department": "县宣传部"}}, ["县宣传部"]),
    ({"question": "高企奖励", "filters": {"validity": ["有效", "作废"]}}, ["作废", "有效"]),
    ({"question": "高企奖励", "k": 0}, ["k"]),
    ({"question": "高企奖励", "channel": "sms"}, ["channel"]),
])
def test_bad_questions_are_422_with_a_readable_message(client, body, words):
    res = client.post("/api/ask", json=body)
    assert res.status_code == 422
    detail = res.json()["detail"]
    assert isinstance(detail, str)  # a sentence, not FastAPI's list of error objects
    for word in words:
        assert word in detail


def test_malformed_json_is_422_with_a_message(client):
    res = client.post("/api/ask", content=b'{"question": ', headers={"Content-Type": "application/json"})
    assert res.status_code == 422 and "JSON" in res.json()["detail"]


def test_rejected_questions_are_not_logged(client, demo_engine):
    client.post("/api/ask", json={"question": "问" * 2000})
    client.app.state.questions.flush()
    with Session(demo_engine) as session:
        assert session.exec(select(QuestionLog)).all() == []


def test_feedback_is_stored(client, demo_engine):
    qid = client.post("/api/ask", json={"question": "高企认定奖励多少"}).json()["question_id"]
    res = client.post("/api/feedback", json={"question_id": qid, "helpful": False,
                                             "reason": "没有说明申报时间"})
    assert res.status_code == 200 and res.json()["ok"] is True
    with Session(demo_engine) as session:
        fb = session.get(Feedback, res.json()["feedback_id"])
    assert (fb.question_id, fb.helpful, fb.reason) == (qid, False, "没有说明申报时间")


def test_feedback_for_unknown_question_is_404_with_message(client):
    res = client.post("/api/feedback", json={"question_id": 424242, "helpful": True})
    assert res.status_code == 404 and "424242" in res.json()["detail"]


def test_feedback_reason_over_500_characters_is_422(client):
    qid = client.post("/api/ask", json={"question": "高企认定奖励多少"}).json()["question_id"]
    res = client.post("/api/feedback", json={"question_id": qid, "helpful": False, "reason": "长" * 501})
    assert res.status_code == 422 and "500" in res.json()["detail"]


def test_openapi_page_documents_the_api(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/feedback", "/api/policies", "/api/policies/{policy_id}"} <= paths.keys()


def test_reply_is_exactly_the_answer_object_plus_question_id_and_scope(client, web_settings):
    import json

    from kb.search.answers import ask

    expected = ask(searcher=client.app.state.searcher, question="技改设备投资能补多少",
                   threshold=web_settings.answer_threshold, hotline=web_settings.hotline).to_dict()
    got = client.post("/api/ask", json={"question": "技改设备投资能补多少"}).json()
    assert isinstance(got.pop("question_id"), int)
    assert got.pop("scope") == "all"  # no policy filter: searched everywhere
    assert got == json.loads(json.dumps(expected, ensure_ascii=False))


def test_policy_filter_searches_that_policy_first_then_everywhere(client):
    from sqlmodel import Session, select

    from kb.models import Policy

    with Session(client.app.state.engine) as session:
        tech = session.exec(select(Policy).where(Policy.doc_number == "金科发〔2024〕8号")).one()
        techgai = session.exec(select(Policy).where(Policy.doc_number == "金政发〔2024〕12号")).one()
    # The question is about the policy it is asked on: answered from it.
    mine = client.post("/api/ask", json={"question": "首次认定高新技术企业有什么奖励",
                                         "filters": {"policy": str(tech.id)}}).json()
    assert mine["scope"] == "policy" and mine["answer_type"] in ("faq", "passage")
    assert mine["answer"]["policy_id"] == tech.id
    assert {h["policy_id"] for h in mine["hits"]} == {tech.id}
    # Asked on another policy's page, the answer comes from where it is, and says so.
    other = client.post("/api/ask", json={"question": "首次认定高新技术企业有什么奖励",
                                          "filters": {"policy": str(techgai.id)}}).json()
    assert other["scope"] == "all" and other["answer"]["policy_id"] == tech.id


def test_unknown_policy_filter_is_a_404_with_a_message(client):
    r = client.post("/api/ask", json={"question": "设备投资补助多少", "filters": {"policy": "99999"}})
    assert r.status_code == 404 and "99999" in r.json()["detail"]
