"""The unanswered-question ledger: unanswered questions grouped into topics that departments answer."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, case, update
from sqlmodel import Session, col, select

from kb import clock
from kb.clock import aware, county_day
from kb.database.db import get_or_missing, key, table_of
from kb.errors import Conflict, InvalidInput, PermissionDenied
from kb.feedback.ledger_matching import (
    OPEN_STATES,
    Plan,
    candidates,
    matches,
    note_filed,
)
from kb.feedback.models import TOPIC_STATUS_LABELS, Feedback, LedgerTopic, QuestionLog, TopicStatus
from kb.feedback.questions import UNANSWERED
from kb.feedback.routing import BY_HAND, route
from kb.models import Department, FaqItem, Interpretation, Status
from kb.staff.audit import SYSTEM, Actor, record
from kb.staff.models import Role, User

ANSWER_KINDS = ("faq", "interpretation")
RECORD_KIND = "ledger_topic"
MAX_NOTE_CHARS = 500
_LOCKED_TOPICS = "kb.ledger.locked_topics"  # session.info: topics read FOR UPDATE in this unit

_TRANSITIONS = {
    TopicStatus.OPEN: {TopicStatus.IN_PROGRESS, TopicStatus.CLOSED},
    TopicStatus.IN_PROGRESS: {TopicStatus.OPEN, TopicStatus.CLOSED},
    TopicStatus.ANSWERED: {TopicStatus.CLOSED},
    TopicStatus.CLOSED: {TopicStatus.OPEN},
}


# --- Questions join topics --------------------------------------------------------------


def _locked_topic(session: Session, topic_id: int) -> LedgerTopic | None:
    # Re-read and locked: two workers joining one topic would otherwise count once. Once per
    # transaction: locked, it is this transaction's to change.
    transaction, locked = session.info.get(_LOCKED_TOPICS, (None, set()))
    if transaction is not session.get_transaction():  # a new transaction: nothing locked yet
        locked = set()
        session.info[_LOCKED_TOPICS] = (session.get_transaction(), locked)
    if topic_id in locked:
        return session.get(LedgerTopic, topic_id)
    locked.add(topic_id)
    return session.get(LedgerTopic, topic_id, with_for_update=True, populate_existing=True)


def _target(session: Session, question: QuestionLog, plan: Plan | None,
            newer: list | None = None) -> LedgerTopic | None:
    """The open topic the question joins, if any (locked): the planned one, unless a topic opened
    since the plan matches better (or the planned one was closed meanwhile). ``newer``: those
    topics, read once for a batch of filings (``ledger_matching.note_filed``)."""
    if plan is None:
        best = matches(question.question, candidates(session))
        return _locked_topic(session, best[0][1]) if best else None
    planned = _locked_topic(session, plan.topic_id) if plan.topic_id is not None else None
    if planned is not None and planned.status not in OPEN_STATES:
        planned, score = None, 0.0
    else:
        score = plan.score
    if newer is None:
        newer = candidates(session, after_id=plan.compared_up_to)
    better = matches(question.question, newer)
    if better and (planned is None or better[0][0] > score):
        return _locked_topic(session, better[0][1])
    return planned


def _file(session: Session, question: QuestionLog, due_days: int, now: datetime,
          plan: Plan | None = None, newer: list | None = None) -> LedgerTopic:
    """Put a question into the closest open topic, or a new one."""
    asked = aware(question.asked_at)
    topic = _target(session, question, plan, newer)
    if topic is not None:
        topic.question_count += 1
        topic.last_asked_at = max(aware(topic.last_asked_at), asked)
    else:
        department_id, routed_by = plan.route if plan and plan.route else route(session, question)
        due_date = county_day(now) + timedelta(days=due_days)
        topic = LedgerTopic(title=question.question, department_id=department_id,
                            routed_by=routed_by, due_date=due_date,
                            question_count=1, first_asked_at=asked, last_asked_at=asked,
                            created_at=now)
        session.add(topic)
        session.flush()
        # Joining an existing topic is recorded on the question itself; only new topics are audited.
        record(session=session, actor=SYSTEM, action="ledger.create", record_kind=RECORD_KIND,
               record_id=topic.id, detail={"question_id": question.id, "title": topic.title,
                                           "department_id": topic.department_id,
                                           "routed_by": routed_by,
                                           "due_date": due_date.isoformat()})
    question.topic_id = topic.id
    session.add_all([topic, question])
    session.flush()
    if newer is not None and plan is not None and key(topic) > plan.compared_up_to:
        note_filed(newer, topic_id=key(topic), text=question.question)
    return topic


def note_question(*, session: Session, question: QuestionLog, due_days: int,
                  now: datetime | None = None, plan: Plan | None = None,
                  locked: bool = False, newer: list | None = None) -> LedgerTopic | None:
    """File a question the product could not answer into the ledger; None when it was answered
    or filed (``locked``: the caller read it ``FOR UPDATE`` in this transaction; ``newer``: the
    topics opened since ``plan``, kept current by the caller's batch)."""
    # Locked and re-read: the background filer and a 没帮助 feedback in another worker may
    # reach the same question at once, and only one of them may file it (SQLite's write
    # transaction already serialises them; on PostgreSQL this row lock does).
    if not locked:
        session.refresh(question, with_for_update=True)
    if question.answer_type not in UNANSWERED or question.topic_id is not None:
        return None
    return _file(session, question, due_days, now or clock.now(), plan, newer)


def note_questions(*, session: Session, question_ids: list[int], plans: list[Plan],
                   due_days: int, now: datetime | None = None) -> None:
    """``note_question`` for a batch planned together (``plan_filings``), in one transaction.

    Questions as close to a topic as can be (asked before, word for word) join it together; the
    others are filed one by one, compared with the topics opened since the plans (read once, and
    kept current as this batch opens more).
    """
    locked = {q.id: q for q in session.exec(select(QuestionLog).where(
        col(QuestionLog.id).in_(question_ids)).with_for_update()).all()}
    together: dict[int, list[int]] = {}
    one_by_one: list[tuple[int, Plan]] = []
    for qid, plan in zip(question_ids, plans, strict=True):
        if qid not in locked:
            continue
        if plan.topic_id is not None and plan.score >= 1.0:
            together.setdefault(plan.topic_id, []).append(qid)
        else:
            one_by_one.append((qid, plan))
    joins = {tid: [locked[q] for q in qids
                   if locked[q].topic_id is None and locked[q].answer_type in UNANSWERED]
             for tid, qids in together.items()}
    for closed in join_topics(session=session, joins={t: qs for t, qs in joins.items() if qs}):
        fresh = Plan(None, 0.0, plans[0].compared_up_to)
        one_by_one += [(key(q), fresh) for q in joins[closed]]  # the topic closed meanwhile
    newer = candidates(session, after_id=plans[0].compared_up_to) if plans else []
    for qid, plan in sorted(one_by_one, key=lambda qp: qp[0]):
        note_question(session=session, question=locked[qid], due_days=due_days, now=now,
                      plan=plan, locked=True, newer=newer)


def join_topics(*, session: Session, joins: dict[int, list[QuestionLog]]) -> set[int]:
    """File questions into topics, several statements for the whole batch rather than several a
    question: those planned into a topic at the best similarity there is (asked word for word
    before), which no topic opened since can better. The questions are locked and unfiled by the
    caller (and are not to be used after: their rows changed under them). Returns the topics no
    longer open, whose questions were left unfiled."""
    open_ids = set(session.exec(select(LedgerTopic.id).where(
        col(LedgerTopic.id).in_(list(joins)), col(LedgerTopic.status).in_(OPEN_STATES))
        .with_for_update()).all())
    joined = {tid: qs for tid, qs in joins.items() if tid in open_ids}
    if joined:
        topic, log = table_of(LedgerTopic), table_of(QuestionLog)
        asked = bindparam("asked", type_=topic.c.last_asked_at.type)
        session.execute(update(topic).where(topic.c.id == bindparam("tid")).values(
            question_count=topic.c.question_count + bindparam("n"),
            last_asked_at=case((topic.c.last_asked_at < asked, asked),
                               else_=topic.c.last_asked_at)),
            [{"tid": tid, "n": len(qs), "asked": max(aware(q.asked_at) for q in qs)}
             for tid, qs in joined.items()])
        session.execute(update(log).where(log.c.id == bindparam("qid")).values(
            topic_id=bindparam("tid")),
            [{"qid": q.id, "tid": tid} for tid, qs in joined.items() for q in qs])
    return set(joins) - open_ids


def note_feedback(*, session: Session, feedback: Feedback, due_days: int,
                  now: datetime | None = None) -> LedgerTopic | None:
    """File the question of a not-helpful answer into the ledger, even when it was answered."""
    question = session.get(QuestionLog, feedback.question_id, with_for_update=True,
                           populate_existing=True)  # locked: see note_question
    if feedback.helpful or question is None or question.topic_id is not None:
        return None
    return _file(session, question, due_days, now or clock.now())


# --- Staff work on topics ---------------------------------------------------------------


def _topic(session: Session, topic_id: int) -> LedgerTopic:
    return get_or_missing(session, LedgerTopic, topic_id, f"台账中没有编号为 {topic_id} 的问题")


def _clean_note(note: str | None) -> str | None:
    note = (note or "").strip() or None
    if note and len(note) > MAX_NOTE_CHARS:
        raise InvalidInput(f"备注过长（{len(note)} 字，最多 {MAX_NOTE_CHARS} 字）")
    return note


def may_manage(*, user: User, topic: LedgerTopic) -> bool:
    """Admins manage every topic; reviewers and publishers manage their own department's."""
    if user.has(Role.ADMIN):
        return True
    return (topic.department_id is not None and user.department_id == topic.department_id
            and (user.has(Role.REVIEWER) or user.has(Role.PUBLISHER)))


def assign(*, session: Session, actor: Actor, topic_id: int, department_id: int, due_date: date,
           note: str | None = None, today: date | None = None) -> LedgerTopic:
    """Make a department responsible for a topic, answering by ``due_date``."""
    topic = _topic(session, topic_id)
    if topic.status == TopicStatus.CLOSED:
        raise Conflict("该问题已关闭；如需继续办理，请管理员先重新打开")
    department = session.get(Department, department_id)
    if department is None:
        raise InvalidInput(f"没有编号为 {department_id} 的部门，请从列表中选择责任部门")
    today = today or county_day(clock.now())
    if due_date < today:
        raise InvalidInput(f"办理期限 {due_date.isoformat()} 早于今天（{today.isoformat()}），请重新选择")
    note = _clean_note(note)
    before = {"department_id": topic.department_id,
              "due_date": topic.due_date.isoformat() if topic.due_date else None}
    topic.department_id, topic.due_date = department.id, due_date
    topic.routed_by = BY_HAND
    if note:
        topic.note = note
    session.add(topic)
    session.flush()
    record(session=session, actor=actor, action="ledger.assign", record_kind=RECORD_KIND,
           record_id=topic.id, detail={"before": before, "department_id": department.id,
                                       "department": department.name,
                                       "due_date": due_date.isoformat(), "note": note})
    return topic


def _parse_status(status: str) -> TopicStatus:
    try:
        return TopicStatus(status)
    except ValueError:
        names = "、".join(f"{s.value}（{label}）" for s, label in TOPIC_STATUS_LABELS.items())
        raise InvalidInput(f"未知的状态“{status}”（可选：{names}）") from None


def set_status(*, session: Session, actor: Actor, topic_id: int, status: str,
               note: str | None = None, admin: bool = False) -> LedgerTopic:
    """Move a topic along open → in progress → closed; closing unanswered needs a note, reopening an admin."""
    topic = _topic(session, topic_id)
    target, note = _parse_status(status), _clean_note(note)
    current = TopicStatus(topic.status)
    if target == current:
        return topic
    if target == TopicStatus.ANSWERED:
        raise Conflict("“已答复”由关联的常见问题或政策解读决定：请关联答复内容，或发布答复它的常见问题")
    if target not in _TRANSITIONS[current]:
        raise Conflict(f"不能从“{TOPIC_STATUS_LABELS[current]}”改为“{TOPIC_STATUS_LABELS[target]}”")
    if current == TopicStatus.CLOSED and not admin:
        raise PermissionDenied("已关闭的问题只有管理员可以重新打开")
    if target == TopicStatus.CLOSED and topic.answer_id is None and not note:
        raise InvalidInput("该问题没有关联答复内容，关闭前请在备注中说明原因（如：不属于本县职责、重复提问）")
    topic.status = target
    topic.closed_at = clock.now() if target == TopicStatus.CLOSED else None
    if note:
        topic.note = note
    session.add(topic)
    session.flush()
    record(session=session, actor=actor, action="ledger.status", record_kind=RECORD_KIND,
           record_id=topic.id, detail={"from": current.value, "to": target.value, "note": note})
    return topic


def _published_answer(session: Session, kind: str, record_id: int) -> int:
    """The policy id of a published FAQ item or interpretation."""
    if kind not in ANSWER_KINDS:
        raise InvalidInput(f"答复类型应为 faq（常见问题）或 interpretation（政策解读），而不是“{kind}”")
    row = (session.get(FaqItem, record_id) if kind == "faq"
           else session.get(Interpretation, record_id))
    label = "常见问题" if kind == "faq" else "政策解读"
    if row is None:
        raise InvalidInput(f"没有编号为 {record_id} 的{label}")
    if row.status != Status.PUBLISHED:
        raise Conflict(f"编号为 {record_id} 的{label}尚未发布，发布后才能作为答复")
    return row.policy_id


def link_answer(*, session: Session, actor: Actor, topic_id: int, kind: str,
                record_id: int) -> LedgerTopic:
    """Mark an open topic answered by an already published FAQ item or interpretation."""
    topic = _topic(session, topic_id)
    if topic.status not in OPEN_STATES:
        raise Conflict(f"该问题状态为“{TOPIC_STATUS_LABELS[TopicStatus(topic.status)]}”，不能再关联答复")
    policy_id = _published_answer(session, kind, record_id)
    topic.answer_kind, topic.answer_id, topic.answer_policy_id = kind, record_id, policy_id
    topic.status = TopicStatus.ANSWERED
    session.add(topic)
    session.flush()
    record(session=session, actor=actor, action="ledger.link", record_kind=RECORD_KIND,
           record_id=topic.id, detail={"kind": kind, "record_id": record_id, "policy_id": policy_id})
    return topic


ANY_DEPARTMENT = object()  # close_for_publication without a department restriction


def close_for_publication(*, session: Session, actor: Actor, kind: str, record_id: int,
                          policy_id: int, question_text: str,
                          topic_id: int | None = None,
                          department_id: "int | None | object" = ANY_DEPARTMENT) -> list[LedgerTopic]:
    """Close the topics a newly published FAQ item or interpretation answers, linking them to it;
    topics found by similarity only when they belong to ``department_id`` or to no department."""
    if kind not in ANSWER_KINDS:
        raise InvalidInput(f"答复类型应为 faq（常见问题）或 interpretation（政策解读），而不是“{kind}”")
    targets: list[LedgerTopic] = []
    if topic_id is not None:
        topic = _topic(session, topic_id)
        if topic.status != TopicStatus.CLOSED:
            targets.append(topic)
    if kind == "faq" and question_text.strip():
        for _, found_id in matches(question_text, candidates(session)):
            found = _topic(session, found_id)
            if (all(found.id != t.id for t in targets)
                    and (department_id is ANY_DEPARTMENT
                         or found.department_id in (None, department_id))):
                targets.append(found)
    now = clock.now()
    for topic in targets:
        before = TopicStatus(topic.status).value
        topic.answer_kind, topic.answer_id, topic.answer_policy_id = kind, record_id, policy_id
        topic.status, topic.closed_at = TopicStatus.CLOSED, now
        session.add(topic)
        session.flush()
        record(session=session, actor=actor, action="ledger.close", record_kind=RECORD_KIND,
               record_id=topic.id, detail={"from": before, "kind": kind, "record_id": record_id,
                                           "policy_id": policy_id,
                                           "matched": topic.id != topic_id})
    return targets


# --- Reading the ledger -----------------------------------------------------------------


@dataclass
class TopicRow:
    """A topic as lists show it."""

    topic: LedgerTopic
    department: str | None
    overdue: bool
    answer_url: str | None


@dataclass
class MemberQuestion:
    """One question filed under a topic."""

    id: int
    text: str
    asked_at: datetime
    channel: str
    answer_type: str
    feedback: str | None  # "没帮助：<reason>" when the asker said so


@dataclass
class TopicDetail(TopicRow):
    """A topic with the questions filed under it, newest first."""

    questions: list[MemberQuestion] = field(default_factory=list)


def answer_url(topic: LedgerTopic) -> str | None:
    """Where the public reads the answer of a topic."""
    if topic.answer_policy_id is None:
        return None
    if topic.answer_kind == "faq":
        return f"/policies/{topic.answer_policy_id}#faq-{topic.answer_id}"
    return f"/policies/{topic.answer_policy_id}#interpretation"


def is_overdue(topic: LedgerTopic, today: date) -> bool:
    """Still waiting for an answer after its due date."""
    return topic.status in OPEN_STATES and topic.due_date is not None and topic.due_date < today


def _row(topic: LedgerTopic, names: dict[int, str], today: date) -> TopicRow:
    department = names.get(topic.department_id) if topic.department_id is not None else None
    return TopicRow(topic, department, is_overdue(topic, today), answer_url(topic))


def _department_names(session: Session) -> dict[int, str]:
    return {key(d): d.name for d in session.exec(select(Department))}


def list_topics(*, session: Session, status: str | None = None, department_id: int | None = None,
                overdue_only: bool = False, today: date | None = None) -> list[TopicRow]:
    """Topics, waiting ones first by due date, then the rest newest first."""
    today = today or county_day(clock.now())
    stmt = select(LedgerTopic)
    if status:
        stmt = stmt.where(LedgerTopic.status == _parse_status(status))
    if department_id is not None:
        if session.get(Department, department_id) is None:
            raise InvalidInput(f"没有编号为 {department_id} 的部门")
        stmt = stmt.where(LedgerTopic.department_id == department_id)
    if overdue_only:
        stmt = stmt.where(col(LedgerTopic.status).in_(OPEN_STATES),
                          col(LedgerTopic.due_date) < today)
    names = _department_names(session)
    rows = [_row(t, names, today) for t in session.exec(stmt)]
    waiting = sorted((r for r in rows if r.topic.status in OPEN_STATES),
                     key=lambda r: (r.topic.due_date or date.max, -r.topic.question_count,
                                    r.topic.id))
    done = sorted((r for r in rows if r.topic.status not in OPEN_STATES),
                  key=lambda r: -key(r.topic))
    return waiting + done


def topic_detail(*, session: Session, topic_id: int, today: date | None = None) -> TopicDetail:
    """A topic with its member questions and what askers said about the answers."""
    today = today or county_day(clock.now())
    topic = _topic(session, topic_id)
    row = _row(topic, _department_names(session), today)
    members = session.exec(select(QuestionLog).where(QuestionLog.topic_id == topic.id)
                           .order_by(col(QuestionLog.asked_at).desc(), col(QuestionLog.id).desc())
                           .limit(200)).all()
    reasons: dict[int, list[str]] = {}
    if members:
        for fb in session.exec(select(Feedback).where(
                col(Feedback.question_id).in_([m.id for m in members]), Feedback.helpful == False)  # noqa: E712
                .order_by(col(Feedback.id))):
            given = reasons.setdefault(fb.question_id, [])
            if fb.reason and fb.reason not in given:
                given.append(fb.reason)
    said = {qid: "没帮助" + ("：" + "；".join(r) if r else "") for qid, r in reasons.items()}
    questions = [MemberQuestion(key(m), m.question, aware(m.asked_at), m.channel, m.answer_type,
                                said.get(key(m))) for m in members]
    return TopicDetail(row.topic, row.department, row.overdue, row.answer_url, questions)
