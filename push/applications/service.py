"""The application state machine: who may move an application where, and what each move records."""

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from kb import plugins
from kb.authoring.workflow import require_department
from kb.clock import county_day
from kb.database.db import get_or_missing, key
from kb.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from kb.models import Audience, Department, Policy, Status, Validity, utcnow
from kb.staff import audit
from kb.staff.audit import SYSTEM, Actor
from kb.staff.models import Role, User
from push.applications.models import (
    FINAL,
    NODE_LABELS,
    Application,
    ApplicationMove,
    Node,
    NodePromise,
)
from push.applications.notify import notify_move
from push.calendar.days import Calendar
from push.errors import FirmNotFound
from push.firms.models import Firm
from push.firms.uscc import normalize_uscc

# Where each node may go next; a correction may also amend the node or undo the last move.
ALLOWED = {
    Node.SUBMITTED: (Node.ACCEPTED, Node.RETURNED, Node.REJECTED),
    Node.ACCEPTED: (Node.REVIEWING, Node.RETURNED, Node.REJECTED),
    Node.REVIEWING: (Node.PUBLICITY, Node.RETURNED, Node.REJECTED),
    Node.PUBLICITY: (Node.APPROVED, Node.REJECTED),
    Node.APPROVED: (Node.PAID,),
    Node.RETURNED: (Node.SUBMITTED, Node.REJECTED),
    Node.PAID: (),
    Node.REJECTED: (),
}
# A 免申即享 application starts at 已核定 (no submission); it then goes 公示中 → 已拨付.
DIRECT_ALLOWED = {
    Node.APPROVED: (Node.PUBLICITY, Node.REJECTED),
    Node.PUBLICITY: (Node.PAID, Node.REJECTED),
    Node.PAID: (),
    Node.REJECTED: (),
}
# Working days the county promises per node unless the policy or its department sets its own.
DEFAULT_DAYS = {Node.SUBMITTED: 1, Node.ACCEPTED: 3, Node.REVIEWING: 15, Node.PUBLICITY: 5,
                Node.APPROVED: 60}
RETURN_DAYS = 10  # working days a firm gets to supply missing materials, unless told otherwise
TIPS = {
    Node.SUBMITTED: "申报材料已提交，请保持联系电话畅通，受理部门将在承诺时限内受理。",
    Node.ACCEPTED: "申报已受理，进入审核。如需补充材料，部门会通知您。",
    Node.REVIEWING: "正在审核，审核结果将在公示后确定。",
    Node.PUBLICITY: "拟支持名单公示中，对结果有异议可在公示期内向受理部门反映。",
    Node.APPROVED: "支持金额已核定，资金将按规定拨付到企业账户。",
    Node.PAID: "资金已拨付，请注意查收。",
    Node.RETURNED: "请按说明在期限内补正材料后重新提交，逾期视为放弃。",
    Node.REJECTED: "本次申报不予支持，理由见说明；如有疑问可咨询受理部门。",
}
REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L or U: read aloud and typed from paper
REF_PREFIX = "SB"
REF_LENGTH = 10  # 30**10 ≈ 2**49 refs: not guessable behind the rate limit and the code check
MAX_NOTE_CHARS = 1000


def new_ref() -> str:
    """A fresh random tracking number, e.g. ``SB7KX4M2PD9R``."""
    return REF_PREFIX + "".join(secrets.choice(REF_ALPHABET) for _ in range(REF_LENGTH))


def clean_ref(text: str) -> str:
    """A tracking number as typed (spaces, dashes, lower case) in its stored form."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


def parse_node(name: str) -> Node:
    """A node from its CLI/API name or its Chinese label."""
    by_label = {label: node for node, label in NODE_LABELS.items()}
    text = (name or "").strip()
    if text.lower() in {n.value for n in Node}:
        return Node(text.lower())
    if text in by_label:
        return by_label[text]
    raise InvalidInput(f"未知的节点：{name}（可选：{'、'.join(n.value for n in Node)}）")


def get_application(*, session: Session, ref: str) -> Application:
    """An application by tracking number, or NotFound."""
    app = session.exec(select(Application).where(Application.ref == clean_ref(ref))).first()
    if app is None:
        raise NotFound(f"没有编号为 {ref} 的申报")
    return app


def moves_of(*, session: Session, application_id: int) -> list[ApplicationMove]:
    """An application's moves in order."""
    return list(session.exec(select(ApplicationMove).where(
        ApplicationMove.application_id == application_id).order_by(col(ApplicationMove.seq))))


def promised_days(*, session: Session, policy: Policy, node: Node) -> int | None:
    """The working days promised for ``node``: the policy's, else its department's, else the default."""
    for where in ((NodePromise.policy_id == policy.id),
                  (col(NodePromise.policy_id).is_(None)
                   & (NodePromise.department_id == policy.department_id))):
        row = session.exec(select(NodePromise).where(where, NodePromise.node == node)).first()
        if row is not None:
            return row.days
    return DEFAULT_DAYS.get(node)


def set_promise(*, session: Session, node: Node, days: int, policy_id: int | None = None,
                department_id: int | None = None) -> NodePromise:
    """Set the promised working days of a node for a policy or a department."""
    if (policy_id is None) == (department_id is None):
        raise InvalidInput("承诺时限须指定一项政策或一个部门")
    if not 0 <= days <= 3650:
        raise InvalidInput(f"承诺时限应为0到3650个工作日：{days}")
    query = select(NodePromise).where(NodePromise.node == node,
                                      NodePromise.policy_id == policy_id,
                                      NodePromise.department_id == department_id)
    row = session.exec(query).first() or NodePromise(node=node, policy_id=policy_id,
                                                     department_id=department_id, days=days)
    row.days = days
    session.add(row)
    session.flush()
    return row


@dataclass
class Handler:
    """Who makes a move: a staff member (checked against the department) or the system."""

    actor: Actor
    user: User | None = None


def handler_for(user: User, client: str = "") -> Handler:
    """The handler for a staff user."""
    return Handler(Actor.of(user, client), user)


SYSTEM_HANDLER = Handler(SYSTEM)


def _check_staff(session: Session, handler: Handler, department_id: int | None) -> None:
    """PermissionDenied unless the user is an active 经办人 of the department, or an admin."""
    user = handler.user
    if user is None:
        return  # the system acting for the firm (online submission, import by the platform)
    if not user.active or not (user.has(Role.HANDLER) or user.has(Role.ADMIN)):
        raise PermissionDenied(f"{user.name}没有“经办人”角色，不能办理申报")
    require_department(session, user, department_id)


def _know(policy: Policy, dept: Department | None, node: Node, due: date | None,
          supply_by: date | None) -> dict:
    """What the applicant should know at this node, from the policy's service elements."""
    contact = "；".join(x for x in (
        dept.name if dept else None, policy.phone or (dept.phone if dept else None),
        policy.address) if x)
    know = {"tip": TIPS[node]}
    if policy.conditions and node in (Node.SUBMITTED, Node.RETURNED):
        know["materials"] = policy.conditions[:300]
    if contact:
        know["contact"] = contact
    if policy.fulfil_time and node in (Node.APPROVED, Node.PUBLICITY):
        know["fulfil_time"] = policy.fulfil_time
    deadline = supply_by or due
    if deadline:
        know["deadline"] = deadline.isoformat()
    return know


def _add_move(session: Session, app: Application, policy: Policy, handler: Handler, node: Node,
              *, at: datetime, note: str, amount: float | None = None,
              paid_on: date | None = None, supply_by: date | None = None,
              correction: bool = False, seq: int = 1) -> ApplicationMove:
    dept = session.get(Department, app.department_id) if app.department_id else None
    days = None if node in (*FINAL, Node.RETURNED) else promised_days(
        session=session, policy=policy, node=node)
    due = Calendar.load(session).add(county_day(at), days) if days is not None else None
    move = ApplicationMove(
        application_id=key(app), seq=seq, node=node, at=at, department_id=app.department_id,
        department=dept.name if dept else "", user_id=handler.user.id if handler.user else None,
        handler=handler.actor.name, note=note, promised_days=days, due=due, amount=amount,
        paid_on=paid_on, supply_by=supply_by, correction=correction,
        know=_know(policy, dept, node, due, supply_by))
    session.add(move)
    app.node, app.updated_at = node, at
    session.add(app)
    session.flush()
    notify_move(session=session, application=app, move=move, policy=policy)
    return move


def _note(note: str | None) -> str:
    text = (note or "").strip()
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidInput(f"说明不能超过{MAX_NOTE_CHARS}字（现有{len(text)}字）")
    return text


def _amount(value: float | None, what: str) -> float | None:
    if value is not None and not 0 <= value <= 1e9:
        raise InvalidInput(f"{what}应为不小于0的金额（万元）：{value}")
    return value


def refusal(*, policy: Policy, day: date) -> tuple[str, bool] | None:
    """Why no firm may apply to ``policy`` on county day ``day`` (None: it may), and whether a
    stated reason lets staff register the application all the same (a closed window only)."""
    name = f"《{policy.title}》"
    if policy.status != Status.PUBLISHED:
        return f"{name}未发布，不能申报", False
    audience = Audience(policy.audience or Audience.ENTERPRISE)
    if audience is Audience.INTERNAL:
        return f"{name}是部门工作部署，不受理企业申报", False
    # (A 免申即享 guide covers one benefit of its policy; others may still be applied for.)
    if audience is Audience.AUTOMATIC:
        return f"{name}为免申即享政策，企业无需申报，由主管部门依据共享数据直接兑现", False
    if policy.validity != Validity.VALID:
        return f"{name}已{Validity(policy.validity).value}，不再受理申报", False
    if policy.effective_to is not None and policy.effective_to < day:
        return f"{name}有效期至{policy.effective_to}，已过期，不再受理申报", False
    span = f"{policy.apply_from or '即日'}至{policy.apply_to or '长期'}"
    if policy.apply_from is not None and day < policy.apply_from:
        return f"{name}申报期为{span}，尚未开始受理", False
    if policy.apply_to is not None and day > policy.apply_to:
        return f"{name}申报期为{span}，已于{policy.apply_to}截止", True
    return None


def open_policies(*, session: Session, department_id: int | None,
                  day: date) -> list[tuple[Policy, str]]:
    """Policies staff may register applications for on ``day`` (of one department, or all),
    each with a note: "" when open, or why a stated reason is needed (a closed window)."""
    stmt = select(Policy).where(Policy.status == Status.PUBLISHED).order_by(Policy.title)
    if department_id is not None:
        stmt = stmt.where(Policy.department_id == department_id)
    out = []
    for policy in session.exec(stmt):
        refused = refusal(policy=policy, day=day)
        if refused is None:
            out.append((policy, ""))
        elif refused[1]:
            out.append((policy, f"申报期已于{policy.apply_to}截止，补录须写明理由"))
    return out


def create(*, session: Session, handler: Handler, uscc: str, policy_id: int,
           amount: float | None = None, note: str | None = None,
           at: datetime | None = None, late_reason: str | None = None) -> Application:
    """A new application at 已提交 for a registered firm and a policy open to applications; after
    the window closes staff may still register one with ``late_reason`` (audited)."""
    code = normalize_uscc(uscc)
    firm = session.exec(select(Firm).where(Firm.uscc == code)).first()
    if firm is None:
        raise FirmNotFound(f"企业库中没有统一社会信用代码为 {code} 的企业")
    policy = get_or_missing(session, Policy, policy_id, f"没有编号为 {policy_id} 的政策")
    at = at or utcnow()
    late_reason = (late_reason or "").strip()[:500] or None
    refused = refusal(policy=policy, day=county_day(at))
    if refused is not None:
        message, excusable = refused
        if not (excusable and late_reason):
            hint = "；确因材料已在期内报送等原因需补录的，请写明补录理由" if excusable else ""
            raise Conflict(message + hint)
    else:
        late_reason = None  # nothing to excuse
    _check_staff(session, handler, policy.department_id)
    open_one = session.exec(select(Application).where(
        Application.firm_id == firm.id, Application.policy_id == policy.id,
        col(Application.node).not_in(FINAL))).first()
    if open_one is not None:
        raise Conflict(f"{firm.name}对该政策已有办理中的申报（{open_one.ref}），不能重复申报")
    app = Application(ref=_fresh_ref(session), firm_id=key(firm), policy_id=key(policy),
                      department_id=policy.department_id, amount_requested=_amount(amount, "申请金额"),
                      created_at=at, updated_at=at)
    session.add(app)
    session.flush()
    move = _add_move(session, app, policy, handler, Node.SUBMITTED, at=at, note=_note(note))
    audit.record(session=session, actor=handler.actor, action="application.create",
                 record_kind="application", record_id=app.id,
                 detail={"ref": app.ref, "firm": firm.uscc, "policy_id": policy.id,
                         "move_id": move.id} | ({"late_reason": late_reason} if late_reason else {}))
    return app


def allowed_from(moves: list[ApplicationMove]) -> tuple[Node, ...]:
    """Where an application may go next: 免申即享 ones (begun at 已核定) follow their own line."""
    table = DIRECT_ALLOWED if moves[0].node == Node.APPROVED else ALLOWED
    return table.get(moves[-1].node, ())


def _fresh_ref(session: Session) -> str:
    for _ in range(5):  # a clash among 2**49 refs is rare; retrying is cheaper than a lock
        ref = new_ref()
        if session.exec(select(Application.id).where(Application.ref == ref)).first() is None:
            break
    return ref


def create_direct(*, session: Session, actor: Actor, firm: Firm, policy: Policy, amount: float,
                  note: str, at: datetime | None = None) -> Application:
    """A 免申即享 application: the firm applied for nothing; it starts at 已核定 with its amount.
    The caller has checked the staff member (the publisher of the eligible list)."""
    at = at or utcnow()
    app = Application(ref=_fresh_ref(session), firm_id=key(firm), policy_id=key(policy),
                      department_id=policy.department_id, node=Node.APPROVED,
                      amount_approved=_amount(amount, "核定金额"), created_at=at, updated_at=at)
    session.add(app)
    session.flush()
    move = _add_move(session, app, policy, Handler(actor), Node.APPROVED, at=at, note=_note(note),
                     amount=amount)
    audit.record(session=session, actor=actor, action="application.direct",
                 record_kind="application", record_id=app.id,
                 detail={"ref": app.ref, "firm": firm.uscc, "policy_id": policy.id,
                         "move_id": move.id, "amount": amount})
    return app


def _target_allowed(moves: list[ApplicationMove], to: Node, correction: bool) -> bool:
    current = moves[-1].node
    if to in allowed_from(moves):
        return True
    # A correction amends the current node (a wrong amount or note) or undoes the last move.
    previous = moves[-2].node if len(moves) > 1 else None
    return correction and (to == current or to == previous)


def advance(*, session: Session, handler: Handler, ref: str, to: Node, note: str | None = None,
            amount: float | None = None, paid_on: date | None = None,
            supply_by: date | None = None, correction: bool = False,
            at: datetime | None = None) -> ApplicationMove:
    """Move an application to ``to``; a move the state machine does not allow changes nothing."""
    app = get_application(session=session, ref=ref)
    policy = get_or_missing(session, Policy, app.policy_id, f"没有编号为 {app.policy_id} 的政策")
    _check_staff(session, handler, app.department_id)
    moves = moves_of(session=session, application_id=key(app))
    current = moves[-1].node
    if not _target_allowed(moves, to, correction):
        nexts = "、".join(f"{NODE_LABELS[n]}（{n.value}）" for n in allowed_from(moves))
        hint = f"可转到：{nexts}" if nexts else "该申报已办结，只能用更正（--correct）修改"
        raise Conflict(f"申报 {app.ref} 当前为“{NODE_LABELS[current]}”，不能转到"
                       f"“{NODE_LABELS[to]}”；{hint}")
    note = _note(note)
    at = at or utcnow()
    if not correction:
        # Checks registered by packages built on this one (policykb.application_guards), e.g.
        # push.direct's 异议 window: each may refuse the move with its reason.
        for check in plugins.load("application_guards"):
            if block := check(session=session, application=app, first=moves[0].node, to=to,
                              day=county_day(at)):
                raise Conflict(block)
    if to in (Node.RETURNED, Node.REJECTED) and not note:
        what = "需补正的材料" if to == Node.RETURNED else "不予支持的理由"
        raise InvalidInput(f"请在说明中写明{what}（--note）")
    if to == Node.APPROVED:
        if amount is None:
            raise InvalidInput("核定时须填写核定金额（--amount，万元）")
        app.amount_approved = _amount(amount, "核定金额")
    elif to == Node.PAID:
        amount = app.amount_approved if amount is None else amount
        if amount is None or (app.amount_approved is not None and amount > app.amount_approved):
            raise InvalidInput(f"拨付金额{amount}万元超过核定金额{app.amount_approved}万元")
        app.amount_paid = _amount(amount, "拨付金额")
        paid_on = paid_on or county_day(at)
        app.paid_on = paid_on
    elif amount is not None:
        raise InvalidInput("只有核定（approved）和拨付（paid）时填写金额")
    if to == Node.RETURNED:
        supply_by = supply_by or Calendar.load(session).add(county_day(at), RETURN_DAYS)
        if supply_by < county_day(at):
            raise InvalidInput(f"补正期限{supply_by.isoformat()}早于今天")
    if correction and to != Node.APPROVED and current == Node.APPROVED:
        app.amount_approved = None  # undoing an approval withdraws its amount
    if correction and to != Node.PAID and current == Node.PAID:
        app.amount_paid, app.paid_on = None, None
    move = _add_move(session, app, policy, handler, to, at=at, note=note, amount=amount,
                     paid_on=paid_on, supply_by=supply_by,
                     correction=correction and to not in allowed_from(moves),
                     seq=len(moves) + 1)
    left = moves[-1]
    # The department's lateness, on record: the due day it missed.
    missed = left.due if left.due is not None and county_day(at) > left.due else None
    audit.record(session=session, actor=handler.actor, action="application.move",
                 record_kind="application", record_id=app.id,
                 detail={"ref": app.ref, "from": current.value, "to": to.value,
                         "move_id": move.id, "correction": move.correction}
                 | ({"amount": amount} if amount is not None else {})
                 | ({"late": True, "due": missed.isoformat()} if missed else {}))
    return move


def advance_many(*, session: Session, handler: Handler, refs: list[str], to: Node,
                 note: str | None = None, amount: float | None = None,
                 at: datetime | None = None) -> list[ApplicationMove]:
    """Move several applications alike; if any one is refused, none moves (per-ref reasons)."""
    refs = list(dict.fromkeys(clean_ref(r) for r in refs if clean_ref(r)))
    if not refs:
        raise InvalidInput("请选择要办理的申报")
    moves, errors = [], []
    for ref in refs:
        try:
            with session.begin_nested():
                moves.append(advance(session=session, handler=handler, ref=ref, to=to,
                                     note=note, amount=amount, at=at))
        except (Conflict, InvalidInput, NotFound, PermissionDenied) as exc:
            errors.append(f"{ref}：{exc.message}")
    if errors:
        raise Conflict(f"{len(errors)}件申报不能转到“{NODE_LABELS[to]}”，本批均未办理：\n"
                       + "\n".join(errors))
    return moves
