"""What may go out now: subscriptions, marks, suspensions, quiet hours, the daily cap, digests."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_
from sqlmodel import Session, col, func, select

from kb.database.db import insert_ignore
from kb.database.db import key as row_key  # ``key`` below is a digest's idempotency key
from push.delivery.clock import local_day_bounds, next_local_midnight, quiet_until
from push.delivery.models import (
    ChannelState,
    Deliverable,
    Digest,
    FirmPolicyMark,
    Frequency,
    Push,
    PushStatus,
    Subscription,
)
from push.delivery.subscriptions import firm_channels, wants
from push.firms.models import Firm


class Verdict(StrEnum):
    """The gate's decision; the values name the worker's report counters."""

    SEND = "send"
    DEFERRED = "deferred"
    CANCELLED = "cancelled"
    HELD = "held"


def assemble_digests(*, session: Session, now: datetime) -> int:
    """Bundle due digest pushes into one ``Digest`` per firm, channel and slot; returns bundles."""
    rows = session.exec(select(Push).where(
        Push.status == PushStatus.PENDING, col(Push.digest_slot).is_not(None),
        col(Push.digest_id).is_(None), col(Push.digest_slot) <= now)).all()
    groups: dict[tuple[int, str, datetime], list[Push]] = {}
    for push in rows:
        slot = push.digest_slot
        if slot is None:  # the query excludes it; the key below could not name its slot
            raise TypeError(f"推送{push.id}没有汇总时段")
        groups.setdefault((push.firm_id, push.channel, slot), []).append(push)
    subs = {s.firm_id: s for s in session.exec(select(Subscription).where(
        col(Subscription.firm_id).in_({k[0] for k in groups})))} if groups else {}
    for (firm_id, channel, slot), pushes in groups.items():
        sub = subs.get(firm_id)
        period = sub.frequency if sub and sub.frequency != Frequency.IMMEDIATE else Frequency.DAILY
        key = f"dg-{firm_id}-{channel}-{slot:%Y%m%d%H%M}"
        insert_ignore(session, Digest, [{
            "key": key, "firm_id": firm_id, "channel": channel, "status": PushStatus.PENDING,
            "due_at": slot, "attempts": 0, "created_at": now, "slot": slot, "period": period}])
        digest = session.exec(select(Digest).where(Digest.key == key)).one()
        for push in pushes:
            push.digest_id = digest.id
            session.add(push)
    session.flush()
    return len(groups)


def sent_today(*, session: Session, firm_id: int, channel: str, now: datetime) -> int:
    """Messages delivered to the firm on ``channel`` this Asia/Shanghai day (a digest counts once)."""
    start, end = local_day_bounds(now)
    message = func.coalesce(-col(Push.digest_id), Push.id)  # a digest's pushes share one message
    return session.exec(select(func.count(func.distinct(message))).where(
        Push.firm_id == firm_id, Push.channel == channel, Push.status == PushStatus.DELIVERED,
        col(Push.delivered_at) >= start, col(Push.delivered_at) < end)).one()


def _stop(session: Session, unit: Deliverable, status: PushStatus, reason: str) -> None:
    unit.status, unit.last_error = status, reason
    session.add(unit)


def _defer(session: Session, unit: Deliverable, until: datetime, reason: str) -> Verdict:
    unit.due_at, unit.last_error = until, reason
    session.add(unit)
    return Verdict.DEFERRED


@dataclass
class Gate:
    """The decision on a unit, with what rendering it needs when it may go."""

    verdict: Verdict
    pushes: list[Push] = field(default_factory=list)
    firm: Firm | None = None
    subscription: Subscription | None = None


def judge(*, session: Session, unit: Deliverable, now: datetime, cap: int) -> Gate:
    """Decide whether ``unit`` goes out now; defers, holds or cancels it otherwise."""
    row = session.exec(  # firm, subscription and channel health in one look-up
        select(Firm, Subscription, ChannelState).where(Firm.id == unit.firm_id)
        .outerjoin(Subscription, col(Subscription.firm_id) == Firm.id)
        .outerjoin(ChannelState, and_(col(ChannelState.firm_id) == Firm.id,
                                      col(ChannelState.channel) == unit.channel))).first()
    if row is None:
        _stop(session, unit, PushStatus.CANCELLED, "企业已删除")
        return Gate(Verdict.CANCELLED)
    firm, sub, state = row
    pushes = ([unit] if isinstance(unit, Push)
              else list(session.exec(select(Push).where(Push.digest_id == row_key(unit)))))
    marked: set[int] = set()
    if any(p.kind.startswith("reminder") for p in pushes):
        marked = set(session.exec(select(FirmPolicyMark.policy_id).where(
            FirmPolicyMark.firm_id == firm.id)).all())
    keep = []
    for push in pushes:
        if not wants(sub=sub, themes=push.themes):
            _stop(session, push, PushStatus.CANCELLED, "企业已退订")
        elif push.kind.startswith("reminder") and push.policy_id in marked:
            _stop(session, push, PushStatus.CANCELLED, "企业已标记已申报/不适用，不再提醒")
        elif push.channel not in firm_channels(firm=firm, sub=sub):
            _stop(session, push, PushStatus.CANCELLED, "企业已取消该渠道")
        else:
            keep.append(push)
    if not keep:
        if isinstance(unit, Digest):
            _stop(session, unit, PushStatus.CANCELLED, "汇总中的消息均已取消")
        return Gate(Verdict.CANCELLED)
    if state is not None and state.suspended_at is not None:
        _stop(session, unit, PushStatus.HELD, f"渠道已暂停：{state.suspended_reason}")
        return Gate(Verdict.HELD)
    quiet_end = quiet_until(now, sub.quiet_start, sub.quiet_end) if sub else None
    if quiet_end is not None:
        return Gate(_defer(session, unit, quiet_end, "免打扰时段，延至结束后发送"))
    if sent_today(session=session, firm_id=row_key(firm), channel=unit.channel, now=now) >= cap:
        return Gate(_defer(session, unit, next_local_midnight(now),
                           f"已达每日上限{cap}条，顺延至次日"))
    return Gate(Verdict.SEND, keep, firm, sub)
