"""The sign-off workflow: draft → submitted → approved or returned (with a comment) → published.

Separation of duties: whoever wrote a revision neither approves nor publishes it, and the reviewer
does not publish what they approved, so every published record carries three different names.
"""

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from kb.authoring import kinds
from kb.authoring.drafts import validate_draft
from kb.authoring.publishing import content_of, live_record, publish_revision, rollback, withdraw
from kb.database.db import get_or_missing, key
from kb.errors import Conflict, InvalidInput, PermissionDenied
from kb.models import (
    ContentKind,
    Department,
    Policy,
    PolicyVersion,
    Revision,
    Status,
    utcnow,
)
from kb.staff import audit
from kb.staff.audit import Actor
from kb.staff.models import ROLE_LABELS, Role, User

MAX_COMMENT_CHARS = 2000
STATUS_LABELS = {Status.DRAFT: "草稿", Status.SUBMITTED: "待审核", Status.RETURNED: "已退回",
                 Status.APPROVED: "待发布", Status.PUBLISHED: "已发布", Status.WITHDRAWN: "已撤销"}


@dataclass
class Staff:
    """The signed-in user acting, and from which address."""

    user: User
    client: str = ""

    @property
    def actor(self) -> Actor:
        """The audit log's view of this user."""
        return Actor.of(self.user, self.client)


# The role each action on a published record needs; its page already checked the department.
# What may be done to a revision depends on more (its state, who wrote it): see allowed_actions.
ACTION_ROLES = {"draft": Role.DRAFTER, "withdraw": Role.PUBLISHER, "rollback": Role.PUBLISHER}
# Every action on a revision, in the order its page offers them.
REVISION_ACTIONS = ("edit", "submit", "discard", "approve", "publish", "return")


def may(user: User | None, action: str) -> bool:
    """Whether ``user`` holds the role record action ``action`` needs (department aside)."""
    return user is not None and user.active and user.has(ACTION_ROLES[action])


def require_role(user: User, role: Role) -> None:
    """PermissionDenied unless ``user`` holds ``role``."""
    if not user.active or not user.has(role):
        raise PermissionDenied(f"此操作需要“{ROLE_LABELS[role]}”角色")


def require_department(session: Session, user: User, department_id: int | None) -> None:
    """PermissionDenied unless ``user`` works for ``department_id`` (administrators work for all)."""
    if user.has(Role.ADMIN) or user.department_id == department_id:
        return
    dept = session.get(Department, department_id) if department_id else None
    raise PermissionDenied(f"只能处理本部门的内容（该内容属于{dept.name if dept else '未指定部门'}）")


def get_revision(*, session: Session, revision_id: int) -> Revision:
    """A revision by id, or NotFound."""
    return get_or_missing(session, Revision, revision_id, f"没有编号为 {revision_id} 的草稿")


def contributors(rev: Revision) -> set[int]:
    """Users who wrote any of the revision's content."""
    return {rev.drafter_id} | {h["by_id"] for h in rev.history if h["action"] in ("create", "edit")}


def _step(session: Session, rev: Revision, staff: Staff, action: str, comment: str = "") -> None:
    rev.history = [*rev.history, {"at": utcnow().isoformat(), "by_id": staff.user.id,
                                  "by": staff.user.name, "action": action, "comment": comment}]
    rev.updated_at = utcnow()
    session.add(rev)
    session.flush()
    audit.record(session=session, actor=staff.actor, action=f"revision.{action}",
                 record_kind="revision", record_id=rev.id,
                 detail={"kind": str(rev.kind), "record_id": rev.record_id,
                         "policy_id": rev.policy_id, "label": rev.label} | (
                     {"comment": comment} if comment else {}))


def _label(kind: str, data: dict) -> str:
    text = data.get("title") or data.get("question") or kinds.label(kind)
    return text[:300]


def _check_topic(session: Session, topic_id: int, department_id: int | None) -> None:
    """A draft may answer a ledger topic only of its own department (or one not yet assigned):
    publishing it closes the topic."""
    from kb.feedback.models import LedgerTopic

    topic = get_or_missing(session, LedgerTopic, topic_id, f"台账中没有编号为 {topic_id} 的问题")
    if topic.department_id is not None and topic.department_id != department_id:
        raise PermissionDenied("该台账问题由其他部门负责，只能由负责部门起草答复")


def start(*, session: Session, staff: Staff, kind: str, data: dict,
          record_id: int | None = None, policy_id: int | None = None,
          topic_id: int | None = None) -> Revision:
    """A new draft: a new record, or a change to live record ``record_id``."""
    user = staff.user
    require_role(user, ACTION_ROLES["draft"])
    clean = validate_draft(kind, data, session)
    base = None
    if record_id is not None:
        record = live_record(session=session, kind=kind, record_id=record_id)
        policy_id = record.id if isinstance(record, Policy) else record.policy_id
        base = content_of(record)
    if kind != ContentKind.POLICY and policy_id is None:
        raise InvalidInput("请指明所属政策（policy_id）")
    policy = (get_or_missing(session, Policy, policy_id, f"没有编号为 {policy_id} 的政策")
              if policy_id is not None else None)
    department_id = policy.department_id if policy else user.department_id  # a new policy: mine
    require_department(session, user, department_id)
    if topic_id is not None:
        _check_topic(session, topic_id, department_id)
    rev = Revision(kind=kind, record_id=record_id, policy_id=policy_id, department_id=department_id,
                   label=_label(kind, clean), data=clean, base=base, drafter_id=key(user),
                   base_version=policy.version if policy else None, topic_id=topic_id)
    session.add(rev)
    session.flush()
    _step(session, rev, staff, "create")
    return rev


def _expect(rev: Revision, *allowed: Status) -> None:
    if rev.status not in allowed:
        wanted = "、".join(STATUS_LABELS[s] for s in allowed)
        raise Conflict(f"该草稿当前为“{STATUS_LABELS[rev.status]}”，此操作只适用于“{wanted}”状态")


def _not_own(rev: Revision, user: User, doing: str) -> None:
    if user.id in contributors(rev):
        raise PermissionDenied(f"不能{doing}自己起草或修改过的内容（拟稿、审核、发布须由不同人员完成）")


def check(*, session: Session, user: User, revision: Revision, action: str) -> None:
    """PermissionDenied or Conflict unless ``user`` may take ``action`` on ``revision`` now."""
    rev = revision
    if action in ("edit", "submit", "discard"):  # any drafter of the department, before review
        require_role(user, Role.DRAFTER)
        require_department(session, user, rev.department_id)
        _expect(rev, Status.DRAFT, Status.RETURNED)
    elif action == "return":  # the reviewer returns a submission, the publisher an approval
        require_role(user, Role.REVIEWER if rev.status == Status.SUBMITTED else Role.PUBLISHER)
        require_department(session, user, rev.department_id)
        _expect(rev, Status.SUBMITTED, Status.APPROVED)
        _not_own(rev, user, "退回")
    elif action == "approve":
        require_role(user, Role.REVIEWER)
        require_department(session, user, rev.department_id)
        _expect(rev, Status.SUBMITTED)
        _not_own(rev, user, "审核")
    elif action == "publish":
        require_role(user, Role.PUBLISHER)
        require_department(session, user, rev.department_id)
        _expect(rev, Status.APPROVED)
        _not_own(rev, user, "发布")
        if user.id == rev.reviewer_id:
            raise PermissionDenied("审核人不能发布自己审核通过的内容（拟稿、审核、发布须由不同人员完成）")
    else:
        raise ValueError(f"unknown revision action {action!r}")


def allowed_actions(*, session: Session, user: User, revision: Revision) -> set[str]:
    """The actions of REVISION_ACTIONS ``user`` may take on ``revision`` now."""
    return {a for a in REVISION_ACTIONS if _may(session, user, revision, a)}


def _may(session: Session, user: User, revision: Revision, action: str) -> bool:
    try:
        check(session=session, user=user, revision=revision, action=action)
    except (PermissionDenied, Conflict):
        return False
    return True


def _checked(session: Session, staff: Staff, revision_id: int, action: str) -> Revision:
    """The revision, once ``check`` lets ``staff`` take ``action`` on it."""
    rev = get_revision(session=session, revision_id=revision_id)
    check(session=session, user=staff.user, revision=rev, action=action)
    return rev


def edit(*, session: Session, staff: Staff, revision_id: int, data: dict) -> Revision:
    """Change a draft's content (before submission, or after it was returned)."""
    rev = _checked(session, staff, revision_id, "edit")
    rev.data = validate_draft(rev.kind, data, session)
    rev.label = _label(rev.kind, rev.data)
    _step(session, rev, staff, "edit")
    return rev


def submit(*, session: Session, staff: Staff, revision_id: int) -> Revision:
    """Send a draft to review."""
    rev = _checked(session, staff, revision_id, "submit")
    rev.status = Status.SUBMITTED
    _step(session, rev, staff, "submit")
    return rev


def _comment(comment: str | None, *, required: bool) -> str:
    text = (comment or "").strip()
    if required and not text:
        raise InvalidInput("退回时请填写意见，说明需要修改什么")
    if len(text) > MAX_COMMENT_CHARS:
        raise InvalidInput(f"意见过长（{len(text)} 字，最多 {MAX_COMMENT_CHARS} 字）")
    return text


def send_back(*, session: Session, staff: Staff, revision_id: int, comment: str) -> Revision:
    """Return a submitted (or approved) draft to its drafter with a comment."""
    rev = _checked(session, staff, revision_id, "return")
    rev.comment = _comment(comment, required=True)
    rev.status, rev.reviewer_id = Status.RETURNED, None
    _step(session, rev, staff, "return", rev.comment)
    return rev


def approve(*, session: Session, staff: Staff, revision_id: int, comment: str = "") -> Revision:
    """Approve a submitted draft for publication."""
    rev = _checked(session, staff, revision_id, "approve")
    rev.status, rev.reviewer_id = Status.APPROVED, staff.user.id
    _step(session, rev, staff, "approve", _comment(comment, required=False))
    return rev


def publish(*, session: Session, staff: Staff, revision_id: int) -> PolicyVersion:
    """Publish an approved draft: the site, search and push follow at once."""
    rev = _checked(session, staff, revision_id, "publish")
    names = {"drafter": _name(session, rev.drafter_id), "reviewer": _name(session, rev.reviewer_id),
             "publisher": staff.user.name}
    rev.status, rev.publisher_id, rev.published_at = Status.PUBLISHED, staff.user.id, utcnow()
    version = publish_revision(session=session, revision=rev, names=names, actor=staff.actor)
    _step(session, rev, staff, "publish")
    return version


def discard(*, session: Session, staff: Staff, revision_id: int) -> Revision:
    """Abandon a draft that was never published."""
    rev = _checked(session, staff, revision_id, "discard")
    rev.status = Status.WITHDRAWN
    _step(session, rev, staff, "discard")
    return rev


def unpublish(*, session: Session, staff: Staff, kind: str, record_id: int,
              reason: str) -> PolicyVersion:
    """Withdraw a published policy, interpretation or FAQ item (publishers of its department)."""
    require_role(staff.user, ACTION_ROLES["withdraw"])
    record = live_record(session=session, kind=kind, record_id=record_id)
    policy_id = record.id if isinstance(record, Policy) else record.policy_id
    policy = get_or_missing(session, Policy, policy_id, f"没有编号为 {policy_id} 的政策")
    require_department(session, staff.user, policy.department_id)
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("撤回时请填写原因")
    return withdraw(session=session, kind=kind, record_id=record_id, actor=staff.actor,
                    reason=text[:MAX_COMMENT_CHARS])


def roll_back(*, session: Session, staff: Staff, policy_id: int, to_version: int) -> PolicyVersion:
    """Publish an earlier version of a policy again (publishers of its department)."""
    require_role(staff.user, ACTION_ROLES["rollback"])
    policy = get_or_missing(session, Policy, policy_id, f"没有编号为 {policy_id} 的政策")
    require_department(session, staff.user, policy.department_id)
    return rollback(session=session, policy_id=policy_id, to_version=to_version, actor=staff.actor)


def _name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return user.name if user else ""


@dataclass
class Queue:
    """What waits for one user: their own drafts, reviews, publications."""

    mine: list[Revision] = field(default_factory=list)
    to_review: list[Revision] = field(default_factory=list)
    to_publish: list[Revision] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Items that wait for this user's action."""
        return len(self.to_review) + len(self.to_publish) + sum(
            r.status == Status.RETURNED for r in self.mine)


def queue(*, session: Session, user: User) -> Queue:
    """The user's work list, oldest first within each list."""
    out = Queue()
    stmt = select(Revision).order_by(col(Revision.updated_at))
    if not user.has(Role.ADMIN):
        stmt = stmt.where(Revision.department_id == user.department_id)
    for rev in session.exec(stmt.where(col(Revision.status).in_(
            [Status.DRAFT, Status.RETURNED, Status.SUBMITTED, Status.APPROVED]))):
        if user.id in contributors(rev):
            out.mine.append(rev)
            continue
        # Only the two steps a list names: the queue runs on every 审核发布 page view.
        if _may(session, user, rev, "approve"):
            out.to_review.append(rev)
        elif _may(session, user, rev, "publish"):
            out.to_publish.append(rev)
    return out
