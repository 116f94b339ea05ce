"""The sign-off workflow walked through HTTP with real sessions: draft, return, fix, approve,
publish, answer, roll back; separation of duties, departments and CSRF."""

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from kb.models import Interpretation, Policy, PolicyVersion, Revision, Status
from kb.staff.models import AuditEntry
from push.delivery.models import Push
from tests.push.push_utils import add_firms
from tests.web.staff import login, make_user

QUESTION = "研发费用加计扣除辅导讲座在哪里报名"
MEASURES = ("县科技局每季度举办一期研发费用加计扣除辅导讲座，由税务干部讲解研发项目立项、"
            "辅助账设置和年度汇算申报的要点。企业可通过金湖县科技局微信公众号的“讲座报名”栏目报名，"
            "每期限60家企业，报名截止为开讲前三个工作日。")
BACKGROUND = ("不少科技型中小企业反映，研发费用归集口径复杂，担心享受加计扣除后被调整，"
              "因此有政策也不敢用。县科技局会同县税务局开展面对面辅导，帮助企业把政策用足用好。")
PURPOSE = "让符合条件的科技型企业学会规范归集研发费用，应享尽享研发费用加计扣除优惠，降低研发成本。"


@pytest.fixture
def staff(app, client, demo_engine):
    """Signed-in browsers for the three sign-off roles of 县科技局, one more drafter who also
    reviews, and a drafter of another department."""
    people = {"zhang": ["drafter"], "li": ["reviewer"], "wang": ["publisher"],
              "chen": ["drafter", "reviewer", "publisher"]}
    out = {}
    for username, roles in people.items():
        make_user(demo_engine, username, roles=roles, name={"zhang": "张拟稿", "li": "李审核",
                  "wang": "王发布", "chen": "陈多岗"}[username])
        browser = TestClient(app, client=("10.0.0.9", 40000))
        out[username] = (browser, login(browser, username))
    make_user(demo_engine, "zhao", roles=["drafter"], department="县商务局", name="赵商务")
    other = TestClient(app, client=("10.0.0.10", 40000))
    out["zhao"] = (other, login(other, "zhao"))
    return out


def _policy_id(engine, key: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Policy).where(Policy.source_key == f"id:{key}")).one().id


def _post(who, path: str, **data):
    browser, csrf = who
    return browser.post(path, data={"csrf_token": csrf, **data}, follow_redirects=False)


def _revision_id(res) -> int:
    assert res.status_code == 303, res.text
    return int(re.search(r"/admin/revisions/(\d+)", res.headers["location"]).group(1))


def _ask(client) -> dict:
    res = client.post("/api/ask", json={"question": QUESTION})
    assert res.status_code == 200, res.text
    return res.json()


def _essence(answer: dict) -> tuple:
    a = answer["answer"]
    return (answer["answer_type"], a and a["title"], a and a["section"], a and a["text"])


def test_drafter_reviewer_publisher_walk_the_workflow(client, public, staff, demo_engine):
    pid = _policy_id(demo_engine, "jh-2024-sci-01")
    before = _ask(public)
    assert not (before["answer"] and "讲座报名" in before["answer"]["text"])

    # The drafter drafts an interpretation (thin at first) and submits it.
    rid = _revision_id(_post(staff["zhang"], f"/admin/content/new/interpretation?policy_id={pid}",
                             title="研发费用加计扣除辅导解读", background=BACKGROUND, purpose="",
                             measures="组织辅导讲座。"))
    page = staff["zhang"][0].get(f"/admin/revisions/{rid}")
    assert "草稿" in page.text
    # ...and cannot approve or publish it.
    assert _post(staff["zhang"], f"/admin/revisions/{rid}/publish").status_code == 403
    assert _post(staff["zhang"], f"/admin/revisions/{rid}/submit").status_code == 303

    # The reviewer sees the quality check flag the missing 目的 and the thin 主要举措, and
    # returns it with a comment; a return without a comment is refused.
    review = staff["li"][0].get(f"/admin/revisions/{rid}")
    assert review.status_code == 200 and "解读质量检查" in review.text
    assert 'data-code="missing_purpose"' in review.text
    assert _post(staff["li"], f"/admin/revisions/{rid}/return", comment=" ").status_code == 422
    assert _post(staff["li"], f"/admin/revisions/{rid}/return",
                 comment="请补充目的，主要举措写清报名渠道").status_code == 303
    returned = staff["zhang"][0].get(f"/admin/revisions/{rid}")
    assert "请补充目的，主要举措写清报名渠道" in returned.text and "已退回" in returned.text
    assert any(r.id == rid for r in _queue(demo_engine, "zhang"))

    # The drafter fixes it and resubmits; the reviewer approves; the publisher publishes.
    res = _post(staff["zhang"], f"/admin/revisions/{rid}/edit", title="研发费用加计扣除辅导解读",
                background=BACKGROUND, purpose=PURPOSE, measures=MEASURES)
    assert res.status_code == 303, res.text
    assert _post(staff["zhang"], f"/admin/revisions/{rid}/submit").status_code == 303
    review = staff["li"][0].get(f"/admin/revisions/{rid}")
    assert "未发现问题" in review.text
    assert _post(staff["li"], f"/admin/revisions/{rid}/approve").status_code == 303
    # Not searchable until published.
    assert "讲座报名" not in str(_ask(public)["answer"])
    # The reviewer may not also publish what they approved.
    assert _post(staff["wang"], f"/admin/revisions/{rid}/publish").status_code == 303

    # The answer now comes from the new interpretation and names the three people.
    after = _ask(public)
    assert after["answer_type"] == "passage"
    assert "讲座报名" in after["answer"]["text"]
    assert after["answer"]["signoff"] == {"drafter": "张拟稿", "reviewer": "李审核",
                                          "publisher": "王发布"}
    page = public.get(f"/policies/{pid}")
    assert "研发费用加计扣除辅导解读" in page.text
    assert "拟稿人：张拟稿　审核人：李审核　发布人：王发布" in page.text

    with Session(demo_engine) as session:
        versions = session.exec(select(PolicyVersion).where(PolicyVersion.policy_id == pid)).all()
        assert [v.version for v in versions] == [1, 2]
        actions = [a.action for a in session.exec(select(AuditEntry).where(
            AuditEntry.record_kind == "revision", AuditEntry.record_id == rid))]
        assert actions == ["revision.create", "revision.submit", "revision.return",
                           "revision.edit", "revision.submit", "revision.approve",
                           "revision.publish"]
        assert session.exec(select(AuditEntry).where(
            AuditEntry.record_kind == "revision", AuditEntry.record_id == rid)).first().client \
            == "10.0.0.9"

    # The publisher rolls back to version 1: the previous answer returns.
    history = staff["wang"][0].get(f"/admin/content/policies/{pid}/history")
    assert "第 2 版" in history.text and "新增《研发费用加计扣除辅导解读》" in history.text
    assert _post(staff["wang"], f"/admin/content/policies/{pid}/rollback", version="1") \
        .status_code == 303
    assert _essence(_ask(public)) == _essence(before)
    assert "研发费用加计扣除辅导解读" not in public.get(f"/policies/{pid}").text
    with Session(demo_engine) as session:
        assert session.get(Policy, pid).version == 3
        interp = session.exec(select(Interpretation).where(
            Interpretation.title == "研发费用加计扣除辅导解读")).one()
        assert interp.status == Status.WITHDRAWN


def _queue(engine, username):
    from kb.authoring.workflow import queue
    from kb.staff.models import User

    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        return queue(session=session, user=user).mine


def test_self_approval_and_self_publication_are_refused(staff, demo_engine):
    pid = _policy_id(demo_engine, "jh-2024-sci-01")
    rid = _revision_id(_post(staff["chen"], f"/admin/content/new/faq?policy_id={pid}",
                             question="科技型企业入库有没有名额限制？",
                             answer="没有名额限制，符合条件的企业均可申请入库。"))
    assert _post(staff["chen"], f"/admin/revisions/{rid}/submit").status_code == 303
    res = _post(staff["chen"], f"/admin/revisions/{rid}/approve")
    assert res.status_code == 403 and "自己起草" in res.text
    assert _post(staff["li"], f"/admin/revisions/{rid}/approve").status_code == 303
    assert _post(staff["chen"], f"/admin/revisions/{rid}/publish").status_code == 403
    # The reviewer of a draft may not publish it either: three different people sign off.
    with Session(demo_engine) as session:
        assert session.get(Revision, rid).status == Status.APPROVED


def test_a_department_cannot_edit_another_departments_drafts(staff, demo_engine):
    pid = _policy_id(demo_engine, "jh-2024-sci-01")
    rid = _revision_id(_post(staff["zhang"], f"/admin/content/new/faq?policy_id={pid}",
                             question="入库企业名单在哪里公布？", answer="在县科技局网站公示。"))
    zhao = staff["zhao"]
    assert zhao[0].get(f"/admin/revisions/{rid}").status_code == 403
    res = _post(zhao, f"/admin/revisions/{rid}/edit", question="改掉", answer="别的部门改的答案")
    assert res.status_code == 403
    assert _post(zhao, f"/admin/content/new/faq?policy_id={pid}", question="跨部门起草？",
                 answer="不允许。").status_code == 403
    with Session(demo_engine) as session:
        assert session.get(Revision, rid).data["answer"] == "在县科技局网站公示。"


def test_forms_without_a_valid_csrf_token_are_refused(staff, demo_engine):
    pid = _policy_id(demo_engine, "jh-2024-sci-01")
    browser, _ = staff["zhang"]
    for token in (None, "forged-token"):
        data = {"question": "CSRF 测试问题？", "answer": "不应保存。"}
        if token:
            data["csrf_token"] = token
        res = browser.post(f"/admin/content/new/faq?policy_id={pid}", data=data,
                           follow_redirects=False)
        assert res.status_code == 403 and "CSRF" in res.text
    with Session(demo_engine) as session:
        assert not session.exec(select(Revision)).all()


def test_bad_draft_input_comes_back_in_the_form(staff, demo_engine):
    res = _post(staff["zhang"], "/admin/content/new/policy", title="金湖县测试政策",
                full_text="第一条 测试。", effective_from="2026-05-01", effective_to="2026-01-01")
    assert res.status_code == 422
    assert "有效期截止日期早于施行日期" in res.text
    assert 'value="金湖县测试政策"' in res.text  # nothing typed is lost


def test_a_new_policy_is_drafted_and_published_with_its_signoff(staff, public, demo_engine):
    rid = _revision_id(_post(staff["zhang"], "/admin/content/new/policy",
                             title="金湖县科技创新券实施细则", doc_number="金科发〔2026〕3号",
                             themes="科技创新、研发", validity="有效",
                             full_text="第一条 科技创新券用于购买检验检测、技术开发服务。\n"
                                       "第二条 每家企业每年最高可申领创新券5万元。"))
    for who, action in (("zhang", "submit"), ("li", "approve")):
        assert _post(staff[who], f"/admin/revisions/{rid}/{action}").status_code == 303
    add_firms(demo_engine, 2)  # firms the new policy is pushed to
    browser, csrf = staff["wang"]
    published = browser.post(f"/admin/revisions/{rid}/publish", data={"csrf_token": csrf},
                             headers={"X-Request-ID": "publish-3f9c"}, follow_redirects=False)
    assert published.status_code == 303
    with Session(demo_engine) as session:  # the pushes it caused carry the publish's request id
        policy = session.exec(select(Policy).where(Policy.doc_number == "金科发〔2026〕3号")).one()
        pushes = session.exec(select(Push).where(Push.policy_id == policy.id)).all()
    assert pushes and {p.request_id for p in pushes} == {"publish-3f9c"}
    res = public.post("/api/ask", json={"question": "科技创新券每年最多申领多少"}).json()
    # Answered or offered as related (a demo policy has 创新券 too), the new policy comes first.
    top = res["answer"] or res["hits"][0]
    assert top["title"] == "金湖县科技创新券实施细则"
    assert top["signoff"]["publisher"] == "王发布"
    listed = public.get("/policies", params={"q": "科技创新券"})
    assert "金湖县科技创新券实施细则" in listed.text


def test_unpublishing_takes_content_out_of_search_at_once(staff, public, demo_engine):
    pid = _policy_id(demo_engine, "jh-2024-sci-01")
    with Session(demo_engine) as session:
        from kb.models import FaqItem

        faq = session.exec(select(FaqItem).where(FaqItem.policy_id == pid)).first()
    asked = public.post("/api/ask", json={"question": faq.question}).json()
    assert asked["answer_type"] == "faq" and asked["answer"]["faq_id"] == faq.id

    assert _post(staff["wang"], f"/admin/content/faq/{faq.id}/withdraw", reason=" ").status_code == 422
    assert _post(staff["zhang"], f"/admin/content/faq/{faq.id}/withdraw",
                 reason="答复口径调整").status_code == 403  # drafters do not unpublish
    assert _post(staff["wang"], f"/admin/content/faq/{faq.id}/withdraw",
                 reason="答复口径调整").status_code == 303
    again = public.post("/api/ask", json={"question": faq.question}).json()
    assert again["answer"] is None or again["answer"].get("faq_id") != faq.id
    assert faq.question not in public.get(f"/policies/{pid}").text

    assert _post(staff["wang"], f"/admin/content/policy/{pid}/withdraw",
                 reason="政策调整").status_code == 303
    assert public.get(f"/policies/{pid}").status_code == 404
    hits = public.post("/api/ask", json={"question": "科技型中小企业入库奖励"}).json()["hits"]
    assert all(h["policy_id"] != pid for h in hits)
    history = staff["wang"][0].get(f"/admin/content/policies/{pid}/history")
    assert "撤回常见问题" in history.text
    # A withdrawn policy comes back by rolling back to the version before the withdrawal.
    assert "撤回政策：政策调整" in staff["wang"][0].get(f"/admin/content/policies/{pid}/history").text
    with Session(demo_engine) as session:
        current = session.get(Policy, pid).version
    assert _post(staff["wang"], f"/admin/content/policies/{pid}/rollback",
                 version=str(current - 1)).status_code == 303
    assert public.get(f"/policies/{pid}").status_code == 200


def test_the_home_page_counts_what_waits_for_each_person(staff, demo_engine):
    pid = _policy_id(demo_engine, "jh-2024-sci-01")
    rid = _revision_id(_post(staff["zhang"], f"/admin/content/new/faq?policy_id={pid}",
                             question="入库有效期多久？", answer="入库资格有效期为一年。"))
    _post(staff["zhang"], f"/admin/revisions/{rid}/submit")
    assert "待审核 1 件" in staff["li"][0].get("/admin").text
    _post(staff["li"], f"/admin/revisions/{rid}/return", comment="请注明起算日期")
    assert "其中 1 件被退回待修改" in staff["zhang"][0].get("/admin").text
    assert "待审核 0 件" in staff["li"][0].get("/admin").text


def test_repeated_unanswered_questions_form_a_topic_that_an_faq_closes(staff, public, demo_engine):
    from kb.feedback.models import LedgerTopic

    asked = ["宠物狗办证在哪里办", "养宠物狗怎么办证", "宠物狗的证去哪里办理"]
    for question in asked:
        body = public.post("/api/ask", json={"question": question, "channel": "widget"}).json()
        assert body["answer_type"] == "none", body["answer"]
    public.app.state.questions.flush()
    public.app.state.ledger_filer.flush()  # filed in the background, after each response
    with Session(demo_engine) as session:
        topics = session.exec(select(LedgerTopic)).all()
    assert len(topics) == 1 and topics[0].question_count == 3
    topic = topics[0]

    page = staff["zhang"][0].get(f"/admin/ledger/{topic.id}")
    assert 'id="draft-faq"' in page.text
    pid = _policy_id(demo_engine, "jh-2024-sci-01")
    form = staff["zhang"][0].get(f"/admin/content/new/faq?topic_id={topic.id}")
    assert "所属政策" in form.text and asked[0] in form.text  # the topic's question, ready to edit
    rid = _revision_id(_post(staff["zhang"], f"/admin/content/new/faq?topic_id={topic.id}",
                             policy_id=str(pid), question=asked[0],
                             answer="犬只登记不属于涉企政策，请到县公安局治安大队犬类管理窗口办理，"
                                    "或拨打12345咨询。"))
    for who, action in (("zhang", "submit"), ("li", "approve"), ("wang", "publish")):
        assert _post(staff[who], f"/admin/revisions/{rid}/{action}").status_code == 303
    with Session(demo_engine) as session:
        closed = session.get(LedgerTopic, topic.id)
        assert closed.status == "closed" and closed.answer_kind == "faq"
        assert closed.answer_policy_id == pid and closed.answer_id is not None
    answer = public.post("/api/ask", json={"question": asked[0]}).json()
    assert answer["answer_type"] == "faq" and answer["answer"]["faq_id"] == closed.answer_id
    reworded = public.post("/api/ask", json={"question": asked[1]}).json()
    assert reworded["answer"]["kind"] == "faq"  # the new FAQ answers the rewording too
    assert "犬类管理窗口" in reworded["answer"]["text"]


def _buttons(html: str) -> set[str]:
    return set(re.findall(r"<button[^>]*>([^<]+)</button>", html))


def test_buttons_follow_the_role_and_a_refusal_names_the_role(staff, demo_engine):
    pid = _policy_id(demo_engine, "jh-2024-sci-01")
    rid = _revision_id(_post(staff["zhang"], f"/admin/content/new/faq?policy_id={pid}",
                             question="入库后每年要复核吗？", answer="每年复核一次入库条件。"))
    assert _post(staff["zhang"], f"/admin/revisions/{rid}/submit").status_code == 303
    drafter_view = staff["zhang"][0].get(f"/admin/revisions/{rid}").text
    assert not {"审核通过", "退回修改", "发布"} & _buttons(drafter_view)
    assert "等待审核人审核" in drafter_view
    assert {"审核通过", "退回修改"} <= _buttons(staff["li"][0].get(f"/admin/revisions/{rid}").text)
    # The publisher sees no review buttons either; after approval only the publisher sees 发布.
    assert "审核通过" not in _buttons(staff["wang"][0].get(f"/admin/revisions/{rid}").text)
    assert _post(staff["li"], f"/admin/revisions/{rid}/approve").status_code == 303
    assert "发布" not in _buttons(staff["zhang"][0].get(f"/admin/revisions/{rid}").text)
    assert "发布" not in _buttons(staff["li"][0].get(f"/admin/revisions/{rid}").text)
    assert "发布" in _buttons(staff["wang"][0].get(f"/admin/revisions/{rid}").text)
    # Withdraw and roll back are the publisher's: a drafter's policy page has neither.
    policy_page = staff["zhang"][0].get(f"/admin/content/policies/{pid}").text
    assert "撤回" not in _buttons(policy_page) and "修改政策" in policy_page
    history = staff["zhang"][0].get(f"/admin/content/policies/{pid}/history").text
    assert "回退到此版本" not in _buttons(history)
    assert "撤回" in _buttons(staff["wang"][0].get(f"/admin/content/policies/{pid}").text)

    # A drafter who posts the publish form anyway gets a page in the admin layout naming the role.
    refused = _post(staff["zhang"], f"/admin/revisions/{rid}/publish")
    assert refused.status_code == 403
    assert 'id="forbidden"' in refused.text and "“发布人”" in refused.text
    assert 'aria-label="工作人员导航"' in refused.text and "您的角色：拟稿人" in refused.text
    with Session(demo_engine) as session:
        assert session.get(Revision, rid).status == Status.APPROVED  # nothing happened


def test_the_api_keeps_json_for_a_refusal(client, staff):
    browser, _ = staff["zhang"]  # a drafter, not an agent
    res = browser.get("/api/agent/search", params={"q": "高企"})
    assert res.status_code == 403 and res.headers["content-type"].startswith("application/json")
    assert "坐席" in res.json()["detail"]


def test_any_two_revisions_of_a_record_can_be_compared(staff, demo_engine):
    pid = _policy_id(demo_engine, "jh-2024-sci-01")
    with Session(demo_engine) as session:
        from kb.models import FaqItem

        faq = session.exec(select(FaqItem).where(FaqItem.policy_id == pid)).first()
    first = _revision_id(_post(staff["zhang"], f"/admin/content/new/faq?record_id={faq.id}",
                               question=faq.question, answer="第一稿：奖励20万元。"))
    second = _revision_id(_post(staff["chen"], f"/admin/content/new/faq?record_id={faq.id}",
                                question=faq.question, answer="第二稿：奖励30万元。"))
    browser = staff["li"][0]
    page = browser.get(f"/admin/revisions/{second}").text
    assert f'<option value="{first}">稿件 {first}' in page  # offered for comparison
    assert "与已发布版本对比" in page
    compared = browser.get(f"/admin/revisions/{second}", params={"against": str(first)}).text
    assert f"与稿件 {first}" in compared
    diff = compared[compared.index('id="diff"'):]
    assert "第<del>一</del><ins>二</ins>稿：奖励<del>20</del><ins>30</ins>万元。" in diff
    # Another kind of content or a number that is no revision: a 422 saying why.
    other = _revision_id(_post(staff["zhang"], f"/admin/content/new/interpretation?policy_id={pid}",
                               title="另一份解读", background=BACKGROUND, purpose=PURPOSE,
                               measures=MEASURES))
    for bad in (str(other), "99999", "abc"):
        res = browser.get(f"/admin/revisions/{second}", params={"against": bad})
        assert res.status_code == 422 and "对比" in res.text
