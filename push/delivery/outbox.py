"""The transactional outbox: the one writer of push rows.

Publication events (kb.events: a policy published, revised, superseded or withdrawn, or its
申兑指南 published), deadline reminders and application moves become push rows here, inside the
transaction that caused them, so a change and its pushes commit together or not at all. Rows
are inserted with insert-or-ignore on the idempotency key (firm, policy, version, channel, kind):
replaying an event never doubles a push.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from kb.database.db import chunks, insert_ignore, key
from kb.errors import KBError
from kb.events import EventKind, PolicyEvent
from kb.models import Policy, Status
from kb.operations.logs import current_request_id
from push.delivery.clock import digest_slot, local_today, to_utc
from push.delivery.models import FirmPolicyMark, Frequency, Push, PushKind, PushStatus, Subscription
from push.delivery.subscriptions import firm_channels, wants
from push.firms.models import Firm
from push.guides.authoring import KIND as GUIDE
from push.matching.matcher import Match, firms_for_policy

REMINDER_OFFSETS = {14: PushKind.REMINDER_14, 3: PushKind.REMINDER_3}  # days before apply_to
TOLD_KINDS = (PushKind.NEW, PushKind.REVISED, PushKind.GUIDE)  # told about the policy itself
# About the firm's own case: sent whatever topics it follows, at once, never in a digest.
PERSONAL_KINDS = (PushKind.APPLICATION,)
GUIDE_LEAD = "申兑指南已发布，现可测算您可享受的金额"
_TRIVIAL = ("不限", "无资质要求", "未设申报期")


@dataclass(frozen=True)
class Notice:
    """What one firm is told: the push's lines, and whether they name an amount it can expect."""

    firm: Firm
    lines: list[str]
    told_amount: bool = False


def push_key(*, firm_id: int, policy_id: int, version: int, channel: str, kind: str) -> str:
    """The idempotency key a push carries on the wire (an application notice's ``version`` is
    its move's id)."""
    if kind == PushKind.APPLICATION:
        return f"ap-{firm_id}-m{version}-{channel}"
    return f"pk-{firm_id}-{policy_id}-v{version}-{channel}-{kind}"


def reasons_of(match: Match) -> list[str]:
    """Why a policy fits a firm, in the matcher's words (trivial "不限..." lines left out)."""
    lines = [c.detail for c in match.criteria
             if c.met and c.key not in ("status", "audience", "validity")
             and not c.detail.startswith(_TRIVIAL)]
    return lines or ["符合政策全部适用条件"]


def _subscriptions(session: Session, firm_ids: list[int]) -> dict[int, Subscription]:
    subs: dict[int, Subscription] = {}
    for chunk in chunks(firm_ids):
        subs.update((s.firm_id, s) for s in session.exec(
            select(Subscription).where(col(Subscription.firm_id).in_(chunk))))
    return subs


def enqueue(
    *, session: Session, policy: Policy, kind: PushKind, notices: Iterable[Notice],
    version: int, now: datetime | None = None, changes: list[str] | None = None,
    successor: Policy | None = None, department_id: int | None = None,
) -> int:
    """Queue a push of ``kind`` per notice and channel, honouring subscriptions (topics and
    digests, except for a firm's own case); returns how many rows are new."""
    moment = to_utc(now)
    notices = list(notices)
    personal = kind in PERSONAL_KINDS
    subs = _subscriptions(session, [key(n.firm) for n in notices])
    request_id = current_request_id()  # a publish or move on the web: one id leads to its pushes
    rows = []
    for notice in notices:
        firm, firm_id = notice.firm, key(notice.firm)
        sub = subs.get(firm_id)
        if not personal and not wants(sub=sub, themes=policy.themes):
            continue
        slot = None  # set: the push waits for the firm's daily or weekly digest
        if (sub is not None and sub.frequency != Frequency.IMMEDIATE and not personal
                and kind not in (PushKind.REMINDER_14, PushKind.REMINDER_3)):
            slot = digest_slot(moment, sub.frequency == Frequency.WEEKLY)
        for channel in firm_channels(firm=firm, sub=sub):
            rows.append({
                "key": push_key(firm_id=firm_id, policy_id=key(policy), version=version,
                                channel=channel, kind=kind),
                "firm_id": firm_id, "channel": channel, "status": PushStatus.PENDING,
                "due_at": slot or moment, "attempts": 0, "created_at": moment,
                "policy_id": policy.id, "version": version, "kind": kind, "title": policy.title,
                "doc_number": policy.doc_number,
                "department_id": department_id or policy.department_id,
                "reasons": notice.lines, "told_amount": notice.told_amount,
                "changes": changes or [], "themes": [] if personal else policy.themes or [],
                "successor_id": successor.id if successor else None,
                "successor_title": successor.title if successor else None,
                "deadline": None if personal else policy.apply_to, "digest_slot": slot,
                "request_id": request_id,
            })
    return insert_ignore(session, Push, rows)


def matched_firms(*, session: Session, policy_id: int, today: date) -> list[Notice]:
    """A notice for every firm the matcher says the policy fits, with its reasons."""
    try:
        found = firms_for_policy(session=session, policy_id=policy_id, today=today, limit=None)
    except KBError:  # facets that cannot be read match nobody; ``policykb match`` shows why
        return []
    matches = {m.uscc: m for m in found.matches}
    out: list[Notice] = []
    codes = list(matches)
    for chunk in chunks(codes):
        for firm in session.exec(select(Firm).where(col(Firm.uscc).in_(chunk))):
            match = matches[firm.uscc]
            told = match.estimate is not None and match.estimate.eligible is True
            out.append(Notice(firm, reasons_of(match), told_amount=told))
    out.sort(key=lambda n: key(n.firm))
    return out


def told_firms(*, session: Session, policy_id: int, before_version: int | None = None) -> list[Firm]:
    """Firms that received (delivered) a push about the policy, optionally of an earlier version."""
    query = select(Push.firm_id).where(
        Push.policy_id == policy_id, Push.status == PushStatus.DELIVERED,
        col(Push.kind).in_(TOLD_KINDS))
    if before_version is not None:
        query = query.where(Push.version < before_version)
    ids = sorted(set(session.exec(query).all()))
    firms: list[Firm] = []
    for chunk in chunks(ids):
        firms += session.exec(select(Firm).where(col(Firm.id).in_(chunk))).all()
    return sorted(firms, key=key)


def _cancel_pending(session: Session, policy_id: int, reason: str, below: int | None) -> None:
    stmt = update(Push).where(col(Push.policy_id) == policy_id,
                              col(Push.status) == PushStatus.PENDING,
                              col(Push.claimed_by).is_(None),
                              col(Push.kind) != PushKind.APPLICATION)  # a move's notice still holds
    if below is not None:
        stmt = stmt.where(col(Push.version) < below)
    session.execute(stmt.values(status=PushStatus.CANCELLED, last_error=reason))


def on_policy_event(*, session: Session, event: PolicyEvent, now: datetime | None = None) -> None:
    """Write the pushes an event calls for, in the publishing transaction."""
    policy = session.get(Policy, event.policy_id)
    if policy is None:
        return
    policy_id, today = key(policy), local_today(now)
    if event.kind == EventKind.WITHDRAWN or policy.status != Status.PUBLISHED:
        _cancel_pending(session, policy_id, "政策已撤回", None)
        return
    if event.kind == EventKind.SUPERSEDED:
        _cancel_pending(session, policy_id, "政策已被替代", None)
        successor = session.get(Policy, event.successor_id) if event.successor_id else None
        told = told_firms(session=session, policy_id=policy_id)
        enqueue(session=session, policy=policy, kind=PushKind.SUPERSEDED, version=event.version,
                notices=[Notice(f, []) for f in told], now=now, changes=event.changes,
                successor=successor)
        return
    if event.kind == EventKind.CONTENT and event.content == GUIDE:  # what firms can expect changed
        catch_up(session=session, policy_id=policy_id, now=now)
        return
    told_ids: set[int] = set()
    if event.kind == EventKind.REVISED:
        _cancel_pending(session, policy_id, f"政策已更新为第{event.version}版", event.version)
        told = told_firms(session=session, policy_id=policy_id, before_version=event.version)
        told_ids = {key(f) for f in told}
        enqueue(session=session, policy=policy, kind=PushKind.REVISED, version=event.version,
                notices=[Notice(f, []) for f in told], now=now, changes=event.changes)
    fresh = [n for n in matched_firms(session=session, policy_id=policy_id, today=today)
             if n.firm.id not in told_ids]
    enqueue(session=session, policy=policy, kind=PushKind.NEW, version=event.version,
            notices=fresh, now=now)


def catch_up(*, session: Session, policy_id: int, now: datetime | None = None) -> int:
    """Once a policy's 申兑指南 is published, tell each firm its rules now pay, and that no live
    push has yet told an amount, what it can expect (once per policy version: the outbox key);
    returns how many pushes are new."""
    policy = session.get(Policy, policy_id)
    if policy is None or policy.status != Status.PUBLISHED:
        return 0  # an unpublished policy is pushed, guide and all, when it is published
    told = set(session.exec(select(Push.firm_id).where(
        Push.policy_id == policy_id, col(Push.kind).in_(TOLD_KINDS), Push.told_amount,
        Push.status != PushStatus.CANCELLED)).all())
    marked = set(session.exec(select(FirmPolicyMark.firm_id).where(
        FirmPolicyMark.policy_id == policy_id)).all())  # 已申报 / 不适用: nothing more to say
    notices = [Notice(n.firm, [GUIDE_LEAD, *n.lines], n.told_amount)
               for n in matched_firms(session=session, policy_id=policy_id,
                                      today=local_today(now))
               if n.firm.id not in told and n.firm.id not in marked]
    return enqueue(session=session, policy=policy, kind=PushKind.GUIDE, notices=notices,
                   version=policy.version, now=now)


def create_reminders(*, session: Session, today: date | None = None,
                     now: datetime | None = None) -> int:
    """Queue 14- and 3-day deadline reminders due ``today``; returns how many were new."""
    today = today or local_today(now)
    added = 0
    for offset, kind in REMINDER_OFFSETS.items():
        closing = today + timedelta(days=offset)
        policies = session.exec(select(Policy).where(
            Policy.apply_to == closing, Policy.status == Status.PUBLISHED,
            col(Policy.superseded_by_id).is_(None))).all()
        for policy in policies:
            marked = set(session.exec(select(FirmPolicyMark.firm_id).where(
                FirmPolicyMark.policy_id == policy.id)).all())
            notices = [Notice(f, [f"申报将于{closing.isoformat()}截止，还剩{offset}天"])
                       for f in told_firms(session=session, policy_id=key(policy))
                       if f.id not in marked]
            added += enqueue(session=session, policy=policy, kind=kind, version=policy.version,
                             notices=notices, now=now)
    return added
