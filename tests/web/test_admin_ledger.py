"""The ledger through HTTP: topics form from unanswered questions and not-helpful feedback, staff
assign and close them with real sessions and CSRF, and publishing an FAQ closes and links one."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from kb.clock import county_day
from kb.database.db import session_scope
from kb.feedback import ledger
from kb.feedback.models import LedgerTopic, QuestionLog, TopicStatus
from kb.models import Department, FaqItem
from kb.staff.audit import SYSTEM
from kb.staff.models import AuditEntry
from tests.web.staff import login, make_user

PETS = ("家里的宠物狗怎么办证", "养宠物狗怎么办证", "宠物狗办证在哪里办")  # the demo KB cannot answer
DIVORCE = "协议离婚去哪里办"
TODAY = county_day(datetime.now(UTC))
FAR = (TODAY + timedelta(days=60)).isoformat()


@pytest.fixture
def staff(app, client, demo_engine):
    """Signed-in browsers: an admin, 县科技局's reviewer and drafter, 县人社局's reviewer, an agent."""
    people = {"admin": (["admin"], None), "li": (["reviewer"], "县科技局"),
              "zhang": (["drafter"], "县科技局"), "hr": (["reviewer"], "县人社局"),
              "agent": (["agent"], "县政务服务中心")}
    out = {}
    for i, (username, (roles, dept)) in enumerate(people.items()):
        make_user(demo_engine, username, roles=roles, department=dept)
        browser = TestClient(app, client=(f"10.0.1.{i + 1}", 40000))
        out[username] = (browser, login(browser, username))
    return out


def _ask(client, question: str, channel: str = "widget") -> dict:
    res = client.post("/api/ask", json={"question": question, "channel": channel})
    assert res.status_code == 200, res.text
    client.app.state.questions.flush()
    client.app.state.ledger_filer.flush()  # filed in the background, after the response
    return res.json()


def _topics(engine) -> list[LedgerTopic]:
    with Session(engine) as session:
        return list(session.exec(select(LedgerTopic).order_by(LedgerTopic.id)))


def _post(who, path: str, **data):
    browser, csrf = who
    return browser.post(path, data={"csrf_token": csrf, **data}, follow_redirects=False)


def _dept_id(engine, name: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Department).where(Department.name == name)).one().id


def _sci_topic(engine, title: str = "科技型企业评价入库有什么奖励") -> int:
    with session_scope(engine) as session:
        topic = LedgerTopic(title=title, department_id=_dept_id(engine, "县科技局"),
                            due_date=TODAY + timedelta(days=7), question_count=1)
        session.add(topic)
        session.flush()
        return topic.id


def test_repeated_unanswered_questions_form_one_topic_on_the_ledger_page(client, staff, demo_engine):
    for question in PETS:
        assert _ask(client, question)["answer_type"] == "none"
    _ask(client, DIVORCE, channel="api")
    _ask(client, "宠物狗能不能带进公园", channel="agent")  # the console's typing is not filed
    topics = _topics(demo_engine)
    assert [(t.title, t.question_count) for t in topics] == [(PETS[0], 3), (DIVORCE, 1)]
    with Session(demo_engine) as session:
        filed = session.exec(select(QuestionLog.question).where(
            QuestionLog.topic_id == topics[0].id)).all()
    assert sorted(filed) == sorted(PETS)

    page = staff["agent"][0].get("/admin/ledger")  # any signed-in staff member may read it
    assert page.status_code == 200
    assert PETS[0] in page.text and DIVORCE in page.text and "待办" in page.text
    detail = staff["zhang"][0].get(f"/admin/ledger/{topics[0].id}")
    assert all(q in detail.text for q in PETS) and "网站问答" in detail.text
    assert 'action="/admin/ledger' not in detail.text  # a drafter reads but does not manage


def test_not_helpful_feedback_puts_an_answered_question_on_the_ledger(client, staff, demo_engine):
    answered = _ask(client, "首次认定高新技术企业县里奖励多少")
    liked = _ask(client, "大学毕业生来金湖就业有生活补贴吗")
    assert answered["answer_type"] != "none" and _topics(demo_engine) == []
    assert client.post("/api/feedback", json={"question_id": liked["question_id"],
                                              "helpful": True}).status_code == 200
    assert _topics(demo_engine) == []
    res = client.post("/api/feedback", json={"question_id": answered["question_id"],
                                             "helpful": False, "reason": "没说设备补贴上限"})
    assert res.status_code == 200
    [topic] = _topics(demo_engine)
    assert topic.title == "首次认定高新技术企业县里奖励多少" and topic.department_id is not None
    detail = staff["admin"][0].get(f"/admin/ledger/{topic.id}")
    assert "没帮助：没说设备补贴上限" in detail.text


def test_admin_assigns_a_department_and_due_date(client, staff, demo_engine):
    _ask(client, DIVORCE)
    [topic] = _topics(demo_engine)
    hr = _dept_id(demo_engine, "县人社局")
    path = f"/admin/ledger/{topic.id}/assign"
    form = {"department_id": str(hr), "due_date": FAR, "note": "请人社局牵头答复"}
    browser = staff["admin"][0]
    no_token = browser.post(path, data=form, follow_redirects=False)
    assert no_token.status_code == 403 and "CSRF" in no_token.text
    assert _topics(demo_engine)[0].department_id == topic.department_id != hr

    res = _post(staff["admin"], path, **form)
    assert res.status_code == 303 and res.headers["location"].startswith(f"/admin/ledger/{topic.id}")
    page = browser.get(res.headers["location"])
    assert "已保存责任部门和办理期限" in page.text and "县人社局" in page.text and FAR in page.text
    with Session(demo_engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "ledger.assign")).one()
    assert entry.actor == "admin" and entry.record_id == topic.id
    listed = browser.get(f"/admin/ledger?department={hr}")
    assert DIVORCE in listed.text
    assert DIVORCE not in browser.get(f"/admin/ledger?department={_dept_id(demo_engine, '县科技局')}").text


@pytest.mark.parametrize(("form", "status", "words"), [
    ({"department_id": "99999", "due_date": FAR}, 422, ["99999", "部门"]),
    ({"department_id": "abc", "due_date": FAR}, 422, ["abc"]),
    ({"department_id": "", "due_date": FAR}, 422, ["请选择责任部门"]),
    ({"department_id": "DEPT", "due_date": "2026-13-40"}, 422, ["2026-13-40", "YYYY-MM-DD"]),
    ({"department_id": "DEPT", "due_date": "2000-01-01"}, 422, ["早于今天"]),
])
def test_bad_assignments_come_back_with_the_reason(client, staff, demo_engine, form, status, words):
    topic_id = _sci_topic(demo_engine)
    if form["department_id"] == "DEPT":
        form = form | {"department_id": str(_dept_id(demo_engine, "县人社局"))}
    res = _post(staff["admin"], f"/admin/ledger/{topic_id}/assign", **form)
    assert res.status_code == status
    for word in words:
        assert word in res.text
    assert 'role="alert"' in res.text and "csrf_token" in res.text  # the form is shown again
    assert _topics(demo_engine)[0].department_id == _dept_id(demo_engine, "县科技局")


def test_only_admins_and_the_departments_reviewers_manage_a_topic(client, staff, demo_engine):
    topic_id = _sci_topic(demo_engine)
    path = f"/admin/ledger/{topic_id}/status"
    for who in ("zhang", "hr", "agent"):
        res = _post(staff[who], path, status="in_progress")
        assert res.status_code == 403, who
    assert _topics(demo_engine)[0].status == TopicStatus.OPEN
    assert _post(staff["li"], path, status="in_progress").status_code == 303
    assert _topics(demo_engine)[0].status == TopicStatus.IN_PROGRESS
    hr = str(_dept_id(demo_engine, "县人社局"))
    # 县科技局 passes it on to 县人社局; from then on 县人社局's reviewer manages it.
    assert _post(staff["li"], f"/admin/ledger/{topic_id}/assign", department_id=hr,
                 due_date=FAR).status_code == 303
    assert _post(staff["li"], path, status="open").status_code == 403
    assert _post(staff["hr"], path, status="open").status_code == 303
    anonymous = TestClient(client.app, client=("10.0.2.1", 40000))
    assert anonymous.get("/admin/ledger", follow_redirects=False).status_code == 303


def test_closing_needs_a_reason_and_reopening_an_admin(client, staff, demo_engine):
    topic_id = _sci_topic(demo_engine)
    path = f"/admin/ledger/{topic_id}/status"
    refused = _post(staff["li"], path, status="closed")
    assert refused.status_code == 422 and "说明原因" in refused.text
    assert _post(staff["li"], path, status="closed", note="重复提问，已并入其他条目").status_code == 303
    page = staff["li"][0].get(f"/admin/ledger/{topic_id}")
    assert "已关闭" in page.text and "重复提问" in page.text
    assert _post(staff["li"], path, status="open").status_code == 403
    assert _post(staff["admin"], path, status="open").status_code == 303
    assert _topics(demo_engine)[0].status == TopicStatus.OPEN and _topics(demo_engine)[0].closed_at is None
    bad = _post(staff["admin"], path, status="finished")
    assert bad.status_code == 422 and "finished" in bad.text


def test_publishing_an_faq_closes_and_links_the_topic(client, staff, demo_engine, policy_ids):
    for question in PETS:
        _ask(client, question)
    _ask(client, DIVORCE)
    pets, divorce = _topics(demo_engine)
    pid = policy_ids["jh-2024-biz-01"]
    with session_scope(demo_engine) as session:
        faq = FaqItem(policy_id=pid, question="养宠物狗怎么办理犬证？", answer="携犬到县公安局办理养犬登记。")
        session.add(faq)
        session.flush()
        closed = ledger.close_for_publication(session=session, actor=SYSTEM, kind="faq",
                                              record_id=faq.id, policy_id=pid,
                                              question_text=faq.question)
        faq_id = faq.id
    assert [t.id for t in closed] == [pets.id]
    pets, divorce = _topics(demo_engine)
    assert pets.status == TopicStatus.CLOSED and divorce.status == TopicStatus.OPEN
    link = f"/policies/{pid}#faq-{faq_id}"
    page = staff["agent"][0].get("/admin/ledger?status=closed")
    assert link in page.text and DIVORCE not in page.text
    assert f'id="faq-{faq_id}"' in client.get(f"/policies/{pid}").text  # the link lands on it


def test_overdue_topics_are_highlighted_and_filtered(client, staff, demo_engine):
    late, fine = _sci_topic(demo_engine, "科技型企业评价入库有什么奖励"), _sci_topic(demo_engine, "宠物医院开业要什么手续")
    with session_scope(demo_engine) as session:
        session.get(LedgerTopic, late).due_date = TODAY - timedelta(days=3)
    browser = staff["li"][0]
    page = browser.get("/admin/ledger")
    row = page.text.split(f'id="topic-{late}"')[1].split("</tr>")[0]
    assert 'class="overdue"' in page.text.split(f'id="topic-{late}"')[1][:20] and "已超期" in row
    assert "已超期" not in page.text.split(f'id="topic-{fine}"')[1].split("</tr>")[0]
    only = browser.get("/admin/ledger?overdue=1")
    assert f'id="topic-{late}"' in only.text and f'id="topic-{fine}"' not in only.text
    bad = browser.get("/admin/ledger?department=abc")
    assert bad.status_code == 422 and "abc" in bad.text
    assert browser.get("/admin/ledger/99999").status_code == 404


def test_an_answer_is_picked_from_the_department_s_published_content(staff, demo_engine, policy_ids):
    tid = _sci_topic(demo_engine)
    page = staff["li"][0].get(f"/admin/ledger/{tid}").text
    picker = page[page.index('id="answer-picker"'):page.index("</select>", page.index('id="answer-picker"'))]
    assert 'type="number"' not in page[page.index("关联已发布的答复"):]  # no typed id any more
    with Session(demo_engine) as session:
        from kb.models import FaqItem

        faq = session.exec(select(FaqItem).where(
            FaqItem.policy_id == policy_ids["jh-2024-sci-01"])).first()
        other = session.exec(select(FaqItem).where(
            FaqItem.policy_id == policy_ids["jh-2024-biz-01"])).first()
    assert f'<option value="faq:{faq.id}">常见问题：{faq.question}' in picker
    assert f"faq:{other.id}" not in picker  # another department's FAQ is not offered
    assert _post(staff["li"], f"/admin/ledger/{tid}/link", answer=f"faq:{faq.id}").status_code == 303
    with Session(demo_engine) as session:
        topic = session.get(LedgerTopic, tid)
    assert (topic.status, topic.answer_kind, topic.answer_id) == ("answered", "faq", faq.id)


def test_a_malformed_pick_is_refused_and_changes_nothing(staff, demo_engine):
    tid = _sci_topic(demo_engine)
    res = _post(staff["li"], f"/admin/ledger/{tid}/link", answer="faq:abc")
    assert res.status_code == 422 and "请从列表中选择" in res.text
    with Session(demo_engine) as session:
        assert session.get(LedgerTopic, tid).status == "open"


def test_the_topic_page_says_how_its_department_was_chosen(client, staff, demo_engine):
    _ask(client, "宠物狗办证在哪里办")  # nothing to route by
    (topic,) = _topics(demo_engine)
    page = staff["admin"][0].get(f"/admin/ledger/{topic.id}").text
    assert "未能推断，待分派" in page[page.index('id="department"'):]
    assert _post(staff["admin"], f"/admin/ledger/{topic.id}/assign",
                 department_id=str(_dept_id(demo_engine, "县人社局")), due_date=FAR).status_code == 303
    page = staff["admin"][0].get(f"/admin/ledger/{topic.id}").text
    assert "县人社局 <small class=\"meta\" id=\"routed-by\">（人工指定）</small>" in page


def test_questions_still_queued_for_the_ledger_are_filed_at_a_clean_shutdown(app, demo_engine):
    with TestClient(app, client=("203.0.113.9", 40000)) as browser:
        for question in PETS:
            res = browser.post("/api/ask", json={"question": question, "channel": "widget"})
            assert res.status_code == 200 and res.json()["answer_type"] == "none"
    # The lifespan has ended: whatever the background filer still held is in the ledger now.
    [topic] = _topics(demo_engine)
    assert topic.question_count == 3
    with Session(demo_engine) as session:
        filed = session.exec(select(QuestionLog.topic_id)).all()
    assert filed == [topic.id] * 3


def test_a_not_helpful_verdict_racing_the_filer_files_its_question_once(client, demo_engine):
    body = client.post("/api/ask", json={"question": "宠物狗打疫苗去哪里", "channel": "widget"}).json()
    res = client.post("/api/feedback", json={"question_id": body["question_id"], "helpful": False})
    assert res.status_code == 200
    client.app.state.questions.flush()
    client.app.state.ledger_filer.flush()
    [topic] = _topics(demo_engine)
    assert topic.question_count == 1
