"""What staff, firms and the public see of an application: its timeline, queues, look-ups."""

import hmac
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from kb.clock import county_day, county_time, county_today
from kb.database.db import get_or_missing, key
from kb.models import Policy
from push.applications.models import (
    FINAL,
    NODE_LABELS,
    Application,
    ApplicationMove,
    Node,
)
from push.applications.service import clean_ref, moves_of
from push.calendar.days import Calendar
from push.firms.models import Firm
from push.firms.uscc import normalize_uscc


@dataclass
class Step:
    """One move on the timeline, with its promise and how long the node actually took."""

    move: ApplicationMove
    left_on: date | None  # the county day the next move left this node (None: still here)
    actual_days: int  # working days spent here so far
    overdue: bool

    @property
    def label(self) -> str:
        """The node's Chinese name."""
        return NODE_LABELS[self.move.node]

    def to_dict(self) -> dict:
        """The JSON shape of ``applications show``."""
        m = self.move
        return {"node": m.node.value, "label": self.label, "at": _iso(m.at), "by": m.handler,
                "department": m.department, "note": m.note, "due": _day(m.due),
                "overdue": self.overdue, "promised_days": m.promised_days,
                "actual_days": self.actual_days, "amount": m.amount, "paid_on": _day(m.paid_on),
                "supply_by": _day(m.supply_by), "correction": m.correction, "know": m.know}


def _iso(moment: datetime) -> str:
    return county_time(moment).isoformat(timespec="seconds")


def _day(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _local(moment: datetime) -> date:
    return county_day(moment)


def steps_of(moves: list[ApplicationMove], calendar: Calendar, today: date) -> list[Step]:
    """The timeline: each move with the day it was left, working days spent, and lateness."""
    steps = []
    for i, move in enumerate(moves):
        nxt = moves[i + 1] if i + 1 < len(moves) else None
        start = _local(move.at)
        left = _local(nxt.at) if nxt else None
        final = move.node in FINAL and nxt is None
        actual = 0 if final else calendar.between(start, left or today)
        late = move.due is not None and (left or today) > move.due and not final
        steps.append(Step(move, left, actual, late))
    return steps


@dataclass
class Tracked:
    """An application with its firm, policy and timeline."""

    application: Application
    firm: Firm
    policy: Policy
    steps: list[Step]

    @property
    def overdue(self) -> bool:
        """Whether the node it stands at is past its promised days."""
        return bool(self.steps) and self.steps[-1].overdue

    @property
    def label(self) -> str:
        """Where it stands, in Chinese."""
        return NODE_LABELS[self.application.node]

    def to_dict(self, *, private: bool = True) -> dict:
        """JSON; ``private=False`` leaves out the firm and its amounts (public look-ups)."""
        a = self.application
        nodes = [s.to_dict() for s in self.steps]
        data = {"ref": a.ref, "node": a.node.value, "label": self.label,
                "overdue": self.overdue,
                "policy": {"id": self.policy.id, "title": self.policy.title,
                           "doc_number": self.policy.doc_number},
                "amount_approved": a.amount_approved, "amount_paid": a.amount_paid,
                "paid_on": _day(a.paid_on), "submitted_at": _iso(a.created_at),
                "nodes": nodes}
        if private:
            return data | {"firm": {"uscc": self.firm.uscc, "name": self.firm.name},
                           "amount_requested": a.amount_requested}
        for name in ("amount_approved", "amount_paid", "paid_on"):  # the firm's business
            data.pop(name)
        for node in nodes:
            node.pop("amount")
        return data


def track(*, session: Session, application: Application, today: date | None = None) -> Tracked:
    """The application with its timeline as of ``today`` (the county's today by default)."""
    steps = steps_of(moves_of(session=session, application_id=key(application)),
                     Calendar.load(session), today or county_today())
    firm = get_or_missing(session, Firm, application.firm_id,
                          f"没有编号为 {application.firm_id} 的企业")
    policy = get_or_missing(session, Policy, application.policy_id,
                            f"没有编号为 {application.policy_id} 的政策")
    return Tracked(application, firm, policy, steps)


def public_lookup(*, session: Session, ref: str, code_tail: str,
                  today: date | None = None) -> Tracked | None:
    """The application if ``code_tail`` is the last 6 characters of its firm's credit code."""
    tail = "".join(ch for ch in (code_tail or "").upper() if ch.isalnum())
    found = session.exec(select(Application, Firm)
                         .join(Firm, col(Firm.id) == col(Application.firm_id))
                         .where(Application.ref == clean_ref(ref))).first()
    real = found[1].uscc[-6:] if found else "\0" * 6  # compare either way: same time, same answer
    if not hmac.compare_digest(tail.encode(), real.encode()) or found is None:
        return None
    return track(session=session, application=found[0], today=today)


def for_firm(*, session: Session, firm_id: int, today: date | None = None) -> list[Tracked]:
    """A firm's applications, newest first."""
    apps = session.exec(select(Application).where(Application.firm_id == firm_id)
                        .order_by(col(Application.id).desc()))
    return [track(session=session, application=a, today=today) for a in apps]


def lookup(*, session: Session, text: str, today: date | None = None,
           limit: int = 20) -> list[Tracked]:
    """The hotline's look-up: by tracking number, or every application of a credit code."""
    ref = clean_ref(text)
    app = session.exec(select(Application).where(Application.ref == ref)).first()
    if app is not None:
        return [track(session=session, application=app, today=today)]
    try:
        code = normalize_uscc(text)
    except Exception:  # noqa: BLE001  (neither a ref nor a valid credit code: nothing found)
        return []
    firm = session.exec(select(Firm).where(Firm.uscc == code)).first()
    return for_firm(session=session, firm_id=key(firm), today=today)[:limit] if firm else []


def queue(*, session: Session, department_id: int | None, node: Node | None = None,
          today: date | None = None, limit: int = 500) -> list[Tracked]:
    """Open applications of a department (None: every department), overdue first, oldest first."""
    query = select(Application).where(col(Application.node).not_in(FINAL))
    if department_id is not None:
        query = query.where(Application.department_id == department_id)
    if node is not None:
        query = query.where(Application.node == node)
    items = [track(session=session, application=a, today=today)
             for a in session.exec(query.order_by(col(Application.updated_at)).limit(limit))]
    return sorted(items, key=lambda t: (not t.overdue, t.steps[-1].move.due or date.max))


def read_out(tracked: Tracked) -> str:
    """What a hotline agent reads to the caller: where the application stands and what comes next."""
    a, last = tracked.application, tracked.steps[-1]
    m = last.move
    parts = [f"您好，您查询的申报（编号{a.ref}，申报《{tracked.policy.title}》）目前处于“{tracked.label}”环节，"
             f"{_local(m.at).isoformat()}由{m.department or '受理部门'}办理。"]
    if m.supply_by:
        parts.append(f"请在{m.supply_by.isoformat()}前补正材料。")
    elif m.due:
        state = "已超过承诺时限，我们会督促办理部门尽快办结" if last.overdue else "目前在承诺时限内"
        parts.append(f"承诺在{m.due.isoformat()}前办结（{m.promised_days}个工作日），{state}。")
    if m.node == Node.APPROVED and a.amount_approved is not None:
        parts.append(f"核定金额{a.amount_approved:g}万元。")
    if m.node == Node.PAID and a.amount_paid is not None:
        parts.append(f"已于{a.paid_on.isoformat() if a.paid_on else ''}拨付{a.amount_paid:g}万元。")
    if m.note:
        parts.append(f"办理说明：{m.note}。")
    if m.know.get("contact"):
        parts.append(f"如需详细了解，可咨询{m.know['contact']}。")
    return "".join(parts)
