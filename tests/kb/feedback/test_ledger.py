"""The unanswered-question ledger: topics form from repeated questions, departments answer, FAQ close them."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from kb.database.db import session_scope
from kb.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from kb.feedback import ledger
from kb.feedback.models import LedgerTopic, QuestionLog, TopicStatus
from kb.feedback.questions import log_question, record_feedback
from kb.models import Department, FaqItem, Interpretation, Passage, Policy
from kb.search.answers import AnswerResult
from kb.search.text.question_match import JOIN_THRESHOLD, similarity
from kb.staff.audit import SYSTEM, Actor, entries
from kb.staff.models import User

NOON = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)  # 12:00 in the county
LATE = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)  # already 01:00 on the 27th in the county


@pytest.fixture
def session(demo_engine):
    with session_scope(demo_engine) as s:
        yield s


@pytest.fixture
def clerk(session) -> Actor:
    user = User(username="clerk", name="王科员", roles=["admin"], password_hash="-")
    session.add(user)
    session.flush()
    return Actor.of(user, "10.0.0.9")


def asked(session, text: str, *, answer_type: str = "none", when: datetime = NOON,
          hits: list[int] | None = None, confidence: float | None = None) -> QuestionLog:
    answer = {"policy_id": None, "passage_id": None} if answer_type != "none" else None
    if confidence is None:
        confidence = 0.9 if answer else 0.1
    result = AnswerResult(query=text, answer=answer, confidence=confidence, hits=[],
                          answer_type=answer_type)
    row = log_question(session=session, question=text, result=result, channel="widget",
                       client="10.1.1.1", now=when)
    if hits is not None:
        row.hits = hits
        session.add(row)
        session.flush()
    return row


def filed(session, text: str, **kw) -> LedgerTopic | None:
    return ledger.note_question(session=session, question=asked(session, text, **kw), due_days=7,
                                now=kw.get("when", NOON))


def department(session, name: str) -> Department:
    return session.exec(select(Department).where(Department.name == name)).one()


@pytest.mark.parametrize(("a", "b", "same"), [
    ("高新技术企业认定后奖励多少", "高企认定奖励是多少钱", True),
    ("高新技术企业认定后奖励多少", "认定为高新技术企业有什么奖励", True),
    ("离婚需要带哪些材料", "办理离婚要什么材料", True),
    ("宠物狗办证在哪里办", "养宠物狗怎么办证", True),
    ("新能源汽车充电桩安装有补贴吗", "安装充电桩有没有补贴", True),
    ("公积金怎么提取", "住房公积金提取需要什么手续", True),
    ("请问营业执照怎么申请", "营业执照在哪里申请办理", True),
    ("高新技术企业认定后奖励多少", "食品经营许可证怎么办", False),
    ("高新技术企业认定后奖励多少", "高新技术企业研发费用加计扣除怎么申请", False),
    ("离婚需要带哪些材料", "结婚登记需要带哪些材料", False),
    ("请问营业执照怎么申请", "食品经营许可证怎么申请", False),
    ("宠物狗办证在哪里办", "离婚在哪里办理", False),
])
def test_rewordings_of_one_question_reach_the_threshold_and_others_do_not(a, b, same):
    score = similarity(a, b)
    assert (score >= JOIN_THRESHOLD) is same, score
    assert similarity(b, a) == pytest.approx(score)


def test_repeated_questions_form_one_topic_and_a_different_one_its_own(session):
    first = filed(session, "高新技术企业认定后奖励多少")
    later = NOON + timedelta(hours=2)
    second = filed(session, "高企认定奖励是多少钱", when=later)
    third = filed(session, "认定为高新技术企业有什么奖励", when=NOON + timedelta(hours=1))
    other = filed(session, "食品经营许可证怎么办")
    assert first.id == second.id == third.id != other.id
    assert first.title == "高新技术企业认定后奖励多少" and first.question_count == 3
    assert first.last_asked_at == later and first.status == TopicStatus.OPEN
    members = session.exec(select(QuestionLog.question).where(QuestionLog.topic_id == first.id)).all()
    assert sorted(members) == sorted(["高新技术企业认定后奖励多少", "高企认定奖励是多少钱",
                                      "认定为高新技术企业有什么奖励"])
    created = entries(session=session, action="ledger.create")
    assert sorted(e.record_id for e in created) == sorted([first.id, other.id])


def test_answered_and_already_filed_questions_are_not_filed_again(session):
    assert filed(session, "技改设备投资能补多少", answer_type="passage") is None
    row = asked(session, "家里的宠物狗怎么办证")
    topic = ledger.note_question(session=session, question=row, due_days=7)
    assert ledger.note_question(session=session, question=row, due_days=7) is None
    assert session.get(LedgerTopic, topic.id).question_count == 1


def test_a_new_topic_goes_to_the_department_of_the_first_hit_due_in_county_days(session):
    sci = session.exec(select(Policy).where(Policy.title == "金湖县加快科技型企业培育的奖励办法")).one()
    passage = session.exec(select(Passage).where(Passage.policy_id == sci.id)).first()
    topic = filed(session, "科技型企业认定了有补贴吗", hits=[passage.id, 999999], when=LATE,
                  confidence=0.25)
    assert topic.department_id == department(session, "县科技局").id
    assert topic.due_date == date(2026, 11, 27) + timedelta(days=7)  # county day, not UTC day
    no_hits = filed(session, "离婚需要带哪些材料", hits=[])
    assert no_hits.department_id is None


def test_a_hit_that_barely_matches_suggests_no_department(session):
    sci = session.exec(select(Policy).where(Policy.title == "金湖县加快科技型企业培育的奖励办法")).one()
    passage = session.exec(select(Passage).where(Passage.policy_id == sci.id)).first()
    topic = filed(session, "宠物狗办证在哪里办", hits=[passage.id], confidence=0.05)
    assert topic.department_id is None  # left for an administrator to assign


def test_rebuilt_passages_leave_the_topic_without_department(session):
    assert filed(session, "离婚需要带哪些材料", hits=[999999]).department_id is None


def test_not_helpful_feedback_files_even_an_answered_question(session):
    answered = asked(session, "贷款贴息比例是多少", answer_type="passage")
    liked = asked(session, "外贸补贴怎么申请", answer_type="passage")
    fb = record_feedback(session=session, question_id=answered.id, helpful=False, reason="没说比例")
    good = record_feedback(session=session, question_id=liked.id, helpful=True)
    topic = ledger.note_feedback(session=session, feedback=fb, due_days=5)
    assert topic is not None and topic.title == "贷款贴息比例是多少"
    assert ledger.note_feedback(session=session, feedback=good, due_days=5) is None
    again = record_feedback(session=session, question_id=answered.id, helpful=False)
    assert ledger.note_feedback(session=session, feedback=again, due_days=5) is None
    detail = ledger.topic_detail(session=session, topic_id=topic.id)
    assert [(q.text, q.answer_type, q.feedback) for q in detail.questions] == [
        ("贷款贴息比例是多少", "passage", "没帮助：没说比例")]


def test_assign_sets_department_and_due_date_and_is_audited(session, clerk):
    topic = filed(session, "离婚需要带哪些材料")
    civil = department(session, "县人社局")
    ledger.assign(session=session, actor=clerk, topic_id=topic.id, department_id=civil.id,
                  due_date=date(2026, 12, 10), note="  请人社局答复  ", today=NOON.date())
    assert (topic.department_id, topic.due_date, topic.note) == (civil.id, date(2026, 12, 10),
                                                                  "请人社局答复")
    [entry] = entries(session=session, action="ledger.assign", record_id=topic.id)
    assert entry.actor == "clerk" and entry.client == "10.0.0.9"
    assert entry.detail["department"] == "县人社局" and entry.detail["due_date"] == "2026-12-10"
    with pytest.raises(InvalidInput, match="4242"):
        ledger.assign(session=session, actor=clerk, topic_id=topic.id, department_id=4242,
                      due_date=date(2026, 12, 10))
    with pytest.raises(InvalidInput, match="早于今天"):
        ledger.assign(session=session, actor=clerk, topic_id=topic.id, department_id=civil.id,
                      due_date=date(2026, 11, 25), today=NOON.date())
    with pytest.raises(NotFound, match="4343"):
        ledger.assign(session=session, actor=clerk, topic_id=4343, department_id=civil.id,
                      due_date=date(2026, 12, 10))


@pytest.mark.parametrize(("start", "target", "note", "admin", "error"), [
    (TopicStatus.OPEN, "in_progress", None, False, None),
    (TopicStatus.IN_PROGRESS, "open", None, False, None),
    (TopicStatus.OPEN, "closed", "不属于本县职责", False, None),
    (TopicStatus.IN_PROGRESS, "closed", None, False, InvalidInput),  # no answer, no reason
    (TopicStatus.OPEN, "closed", "   ", False, InvalidInput),
    (TopicStatus.OPEN, "answered", None, False, Conflict),  # answers come from linked content
    (TopicStatus.ANSWERED, "closed", None, False, None),
    (TopicStatus.ANSWERED, "open", None, False, Conflict),
    (TopicStatus.CLOSED, "open", None, True, None),
    (TopicStatus.CLOSED, "open", None, False, PermissionDenied),
    (TopicStatus.CLOSED, "in_progress", None, True, Conflict),
    (TopicStatus.OPEN, "done", None, False, InvalidInput),
])
def test_status_changes_follow_the_allowed_transitions(session, clerk, start, target, note, admin, error):
    topic = filed(session, "离婚需要带哪些材料")
    topic.status = start
    if start in (TopicStatus.ANSWERED, TopicStatus.CLOSED):
        topic.answer_kind, topic.answer_id = "faq", 1
    session.add(topic)
    session.flush()
    change = dict(session=session, actor=clerk, topic_id=topic.id, status=target, note=note,
                  admin=admin)
    if error:
        with pytest.raises(error):
            ledger.set_status(**change)
        assert session.get(LedgerTopic, topic.id).status == start
        assert entries(session=session, action="ledger.status") == []
        return
    ledger.set_status(**change)
    assert topic.status == target and (topic.closed_at is not None) == (target == "closed")
    [entry] = entries(session=session, action="ledger.status")
    assert entry.detail["from"] == start.value and entry.detail["to"] == target


def _published_faq(session, question: str) -> FaqItem:
    policy = session.exec(select(Policy).where(Policy.title == "金湖县加快科技型企业培育的奖励办法")).one()
    faq = FaqItem(policy_id=policy.id, question=question, answer="首次认定的奖励 20 万元。",
                  published_at=NOON)
    session.add(faq)
    session.flush()
    return faq


def test_publishing_an_faq_closes_and_links_the_topics_it_answers(session, clerk):
    asked_topic = filed(session, "离婚需要带哪些材料")
    hi_tech = filed(session, "高新技术企业认定后奖励多少")
    filed(session, "高企认定奖励是多少钱")
    pets = filed(session, "宠物狗办证在哪里办")
    faq = _published_faq(session, "认定为高新技术企业有什么奖励？")
    closed = ledger.close_for_publication(
        session=session, actor=clerk, kind="faq", record_id=faq.id, policy_id=faq.policy_id,
        question_text=faq.question, topic_id=asked_topic.id)
    assert sorted(t.id for t in closed) == sorted([asked_topic.id, hi_tech.id])
    for topic in (asked_topic, hi_tech):
        assert topic.status == TopicStatus.CLOSED and topic.closed_at is not None
        assert (topic.answer_kind, topic.answer_id, topic.answer_policy_id) == ("faq", faq.id,
                                                                               faq.policy_id)
        assert ledger.answer_url(topic) == f"/policies/{faq.policy_id}#faq-{faq.id}"
    assert pets.status == TopicStatus.OPEN
    assert sorted(e.record_id for e in entries(session=session, action="ledger.close")) == sorted(
        [asked_topic.id, hi_tech.id])
    # A new question of the closed subject starts a new topic rather than joining a closed one.
    assert filed(session, "高企认定奖励是多少钱").id not in (asked_topic.id, hi_tech.id)


def test_publishing_an_interpretation_closes_only_the_topic_it_was_written_for(session):
    target = filed(session, "外贸企业出口信用保险有补贴吗")
    similar = filed(session, "出口信用保险补贴")
    assert target.id == similar.id
    other = filed(session, "高新技术企业认定后奖励多少")
    interp = session.exec(select(Interpretation)).first()
    closed = ledger.close_for_publication(
        session=session, actor=SYSTEM, kind="interpretation", record_id=interp.id,
        policy_id=interp.policy_id, question_text="高新技术企业认定后奖励多少", topic_id=target.id)
    assert [t.id for t in closed] == [target.id] and other.status == TopicStatus.OPEN
    assert ledger.answer_url(target) == f"/policies/{interp.policy_id}#interpretation"
    with pytest.raises(InvalidInput, match="faq"):
        ledger.close_for_publication(session=session, actor=SYSTEM, kind="notice", record_id=1,
                                     policy_id=1, question_text="x")


def test_linking_a_published_answer_marks_the_topic_answered(session, clerk):
    topic = filed(session, "高新技术企业认定后奖励多少")
    faq = _published_faq(session, "高企奖励多少")
    draft = FaqItem(policy_id=faq.policy_id, question="q", answer="a", status="draft")
    session.add(draft)
    session.flush()
    with pytest.raises(Conflict, match="尚未发布"):
        ledger.link_answer(session=session, actor=clerk, topic_id=topic.id, kind="faq",
                           record_id=draft.id)
    with pytest.raises(InvalidInput, match="99999"):
        ledger.link_answer(session=session, actor=clerk, topic_id=topic.id, kind="faq",
                           record_id=99999)
    ledger.link_answer(session=session, actor=clerk, topic_id=topic.id, kind="faq", record_id=faq.id)
    assert topic.status == TopicStatus.ANSWERED and topic.answer_id == faq.id
    ledger.set_status(session=session, actor=clerk, topic_id=topic.id, status="closed")  # no note
    assert topic.status == TopicStatus.CLOSED


def test_lists_filter_by_status_department_and_overdue(session, clerk):
    late = filed(session, "离婚需要带哪些材料")  # due 2026-12-03
    sci = department(session, "县科技局")
    mine = filed(session, "高新技术企业认定后奖励多少")
    ledger.assign(session=session, actor=clerk, topic_id=mine.id, department_id=sci.id,
                  due_date=date(2026, 12, 20), today=NOON.date())
    done = filed(session, "宠物狗办证在哪里办")
    ledger.set_status(session=session, actor=clerk, topic_id=done.id, status="closed",
                      note="重复提问")
    today = date(2026, 12, 5)
    rows = ledger.list_topics(session=session, today=today)
    assert [r.topic.id for r in rows] == [late.id, mine.id, done.id]  # waiting by due date first
    assert [r.overdue for r in rows] == [True, False, False]
    assert rows[1].department == "县科技局"
    overdue = ledger.list_topics(session=session, overdue_only=True, today=today)
    assert [r.topic.id for r in overdue] == [late.id]
    assert [r.topic.id for r in ledger.list_topics(session=session, department_id=sci.id)] == [mine.id]
    assert [r.topic.id for r in ledger.list_topics(session=session, status="closed")] == [done.id]
    with pytest.raises(InvalidInput, match="finished"):
        ledger.list_topics(session=session, status="finished")
    assert ledger.topic_detail(session=session, topic_id=late.id, today=today).overdue
    with pytest.raises(NotFound):
        ledger.topic_detail(session=session, topic_id=4242)


@pytest.mark.parametrize(("roles", "dept", "allowed"), [
    (["admin"], None, True),
    (["reviewer"], "县科技局", True),
    (["publisher"], "县科技局", True),
    (["drafter"], "县科技局", False),
    (["agent"], "县科技局", False),
    (["reviewer"], "县人社局", False),
])
def test_who_manages_a_topic(session, roles, dept, allowed):
    sci = department(session, "县科技局")
    topic = LedgerTopic(title="t", department_id=sci.id)
    user = User(username="u", name="u", roles=roles, password_hash="x",
                department_id=department(session, dept).id if dept else None)
    assert ledger.may_manage(user=user, topic=topic) is allowed


def test_the_topic_says_which_rule_chose_its_department(session):
    sci = session.exec(select(Policy).where(Policy.title == "金湖县加快科技型企业培育的奖励办法")).one()
    passage = session.exec(select(Passage).where(Passage.policy_id == sci.id)).first()
    matched = filed(session, "科技型企业认定了有补贴吗", hits=[passage.id], confidence=0.25)
    assert (matched.department_id, matched.routed_by) == (sci.department_id, "policy")
    # No usable hit: the department whose policy titles and themes share the question's words.
    guessed = filed(session, "科技型企业培育奖励办法在哪看", hits=[], confidence=0.05)
    assert (guessed.department_id, guessed.routed_by) == (department(session, "县科技局").id, "keyword")
    created = entries(session=session, action="ledger.create", record_id=guessed.id)
    assert created[0].detail["routed_by"] == "keyword"
    # Nothing in common with any department's policies: left for an administrator.
    nobody = filed(session, "离婚需要带哪些材料", hits=[])
    assert (nobody.department_id, nobody.routed_by) == (None, None)


def test_a_keyword_tie_is_not_a_guess(session):
    from kb.feedback.routing import by_keyword

    assert by_keyword(session, "金湖县") is None  # in every department's titles alike
    assert by_keyword(session, "") is None
