"""The transactional outbox: publication events and deadline reminders become push rows.

``on_policy_event`` runs inside the publishing transaction (kb.events), so a policy and its
pushes commit together or not at all. Rows are inserted with insert-or-ignore on the
idempotency key (firm, policy, version, channel, kind): replaying an event never doubles a push.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from kb.database.db import insert_ignore
from kb.errors import KBError
from kb.events import EventKind, PolicyEvent
from kb.models import Policy, Status
from push.delivery.clock import digest_slot, local_today, to_utc
from push.delivery.models import FirmPolicyMark, Frequency, Push, PushKind, PushStatus, Subscription
from push.delivery.subscriptions import firm_channels, wants
from push.firms.models import Firm
from push.matching.matcher import Match, firms_for_policy

REMINDER_OFFSETS = {14: PushKind.REMINDER_14, 3: PushKind.REMINDER_3}  # days before apply_to
TOLD_KINDS = (PushKind.NEW, PushKind.REVISED, PushKind.GUIDE)  # told about the policy itself
_TRIVIAL = ("不限", "无资质要求", "未设申报期")


def push_key(*, firm_id: int, policy_id: int, version: int, channel: str, kind: str) -> str:
    """The idempotency key a push carries on the wire."""
    return f"pk-{firm_id}-{policy_id}-v{version}-{channel}-{kind}"


def reasons_of(match: Match) -> list[str]:
    """Why a policy fits a firm, in the matcher's words (trivial "不限..." lines left out)."""
    lines = [c.detail for c in match.criteria
             if c.met and c.key not in ("status", "validity") and not c.detail.startswith(_TRIVIAL)]
    return lines or ["符合政策全部适用条件"]


def _subscriptions(session: Session, firm_ids: list[int]) -> dict[int, Subscription]:
    subs: dict[int, Subscription] = {}
    for start in range(0, len(firm_ids), 500):
        chunk = firm_ids[start:start + 500]
        subs.update((s.firm_id, s) for s in session.exec(
            select(Subscription).where(Subscription.firm_id.in_(chunk))))
    return subs


def enqueue(
    *, session: Session, policy: Policy, kind: PushKind, firms: Iterable[tuple[Firm, list[str]]],
    version: int, now: datetime | None = None, changes: list[str] | None = None,
    successor: Policy | None = None,
) -> int:
    """Queue a push of ``kind`` per (firm, reasons) and channel, honouring subscriptions."""
    moment = to_utc(now)
    firms = list(firms)
    subs = _subscriptions(session, [f.id for f, _ in firms])
    rows = []
    for firm, reasons in firms:
        sub = subs.get(firm.id)
        if not wants(sub=sub, themes=policy.themes):
            continue
        batched = (sub is not None and sub.frequency != Frequency.IMMEDIATE
                   and kind not in (PushKind.REMINDER_14, PushKind.REMINDER_3))
        slot = digest_slot(moment, sub.frequency == Frequency.WEEKLY) if batched else None
        for channel in firm_channels(firm=firm, sub=sub):
            rows.append({
                "key": push_key(firm_id=firm.id, policy_id=policy.id, version=version,
                                channel=channel, kind=kind),
                "firm_id": firm.id, "channel": channel, "status": PushStatus.PENDING,
                "due_at": slot or moment, "attempts": 0, "created_at": moment,
                "policy_id": policy.id, "version": version, "kind": kind, "title": policy.title,
                "doc_number": policy.doc_number, "department_id": policy.department_id,
                "reasons": reasons, "changes": changes or [], "themes": policy.themes or [],
                "successor_id": successor.id if successor else None,
                "successor_title": successor.title if successor else None,
                "deadline": policy.apply_to, "digest_slot": slot,
            })
    return insert_ignore(session, Push, rows)


def matched_firms(*, session: Session, policy_id: int, today: date) -> list[tuple[Firm, list[str]]]:
    """Every firm the matcher says the policy fits, with its reasons."""
    try:
        found = firms_for_policy(session=session, policy_id=policy_id, today=today, limit=None)
    except KBError:  # facets that cannot be read match nobody; ``policykb match`` shows why
        return []
    reasons = {m.uscc: reasons_of(m) for m in found.matches}
    out: list[tuple[Firm, list[str]]] = []
    codes = list(reasons)
    for start in range(0, len(codes), 500):
        for firm in session.exec(select(Firm).where(Firm.uscc.in_(codes[start:start + 500]))):
            out.append((firm, reasons[firm.uscc]))
    out.sort(key=lambda pair: pair[0].id)
    return out


def told_firms(*, session: Session, policy_id: int, before_version: int | None = None) -> list[Firm]:
    """Firms that received (delivered) a push about the policy, optionally of an earlier version."""
    query = select(Push.firm_id).where(
        Push.policy_id == policy_id, Push.status == PushStatus.DELIVERED,
        Push.kind.in_(TOLD_KINDS))
    if before_version is not None:
        query = query.where(Push.version < before_version)
    ids = sorted(set(session.exec(query).all()))
    firms: list[Firm] = []
    for start in range(0, len(ids), 500):
        firms += session.exec(select(Firm).where(Firm.id.in_(ids[start:start + 500]))).all()
    return sorted(firms, key=lambda f: f.id)


def _cancel_pending(session: Session, policy_id: int, reason: str, below: int | None) -> None:
    stmt = update(Push).where(Push.policy_id == policy_id, Push.status == PushStatus.PENDING,
                              Push.claimed_by.is_(None),
                              Push.kind != PushKind.APPLICATION)  # a move's notice still holds
    if below is not None:
        stmt = stmt.where(Push.version < below)
    session.execute(stmt.values(status=PushStatus.CANCELLED, last_error=reason))


def on_policy_event(*, session: Session, event: PolicyEvent, now: datetime | None = None) -> None:
    """Write the pushes an event calls for, in the publishing transaction."""
    policy = session.get(Policy, event.policy_id)
    if policy is None:
        return
    today = local_today(now)
    if event.kind == EventKind.WITHDRAWN or policy.status != Status.PUBLISHED:
        _cancel_pending(session, policy.id, "政策已撤回", None)
        return
    if event.kind == EventKind.SUPERSEDED:
        _cancel_pending(session, policy.id, "政策已被替代", None)
        successor = session.get(Policy, event.successor_id) if event.successor_id else None
        told = told_firms(session=session, policy_id=policy.id)
        enqueue(session=session, policy=policy, kind=PushKind.SUPERSEDED, version=event.version,
                firms=[(f, []) for f in told], now=now, changes=event.changes, successor=successor)
        return
    told_ids: set[int] = set()
    if event.kind == EventKind.REVISED:
        _cancel_pending(session, policy.id, f"政策已更新为第{event.version}版", event.version)
        told = told_firms(session=session, policy_id=policy.id, before_version=event.version)
        told_ids = {f.id for f in told}
        enqueue(session=session, policy=policy, kind=PushKind.REVISED, version=event.version,
                firms=[(f, []) for f in told], now=now, changes=event.changes)
    fresh = [(f, r) for f, r in matched_firms(session=session, policy_id=policy.id, today=today)
             if f.id not in told_ids]
    enqueue(session=session, policy=policy, kind=PushKind.NEW, version=event.version,
            firms=fresh, now=now)


def create_reminders(*, session: Session, today: date | None = None,
                     now: datetime | None = None) -> int:
    """Queue 14- and 3-day deadline reminders due ``today``; returns how many were new."""
    today = today or local_today(now)
    added = 0
    for offset, kind in REMINDER_OFFSETS.items():
        closing = today + timedelta(days=offset)
        policies = session.exec(select(Policy).where(
            Policy.apply_to == closing, Policy.status == Status.PUBLISHED,
            Policy.superseded_by_id.is_(None))).all()
        for policy in policies:
            marked = set(session.exec(select(FirmPolicyMark.firm_id).where(
                FirmPolicyMark.policy_id == policy.id)).all())
            firms = [(f, [f"申报将于{closing.isoformat()}截止，还剩{offset}天"])
                     for f in told_firms(session=session, policy_id=policy.id)
                     if f.id not in marked]
            added += enqueue(session=session, policy=policy, kind=kind, version=policy.version,
                             firms=firms, now=now)
    return added
