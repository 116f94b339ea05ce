"""Firm preferences: subscriptions, unsubscribe, marks, webhook secrets and channel suspension."""

import secrets
from datetime import datetime

from sqlmodel import Session, col, select

from kb.errors import InvalidInput
from kb.models import utcnow
from push.delivery.clock import parse_hhmm, to_utc
from push.delivery.models import (
    ChannelState,
    Digest,
    FirmPolicyMark,
    Frequency,
    Mark,
    Push,
    PushStatus,
    Subscription,
)
from push.firms.models import CHANNELS, Firm


def get_subscription(*, session: Session, firm_id: int) -> Subscription:
    """The firm's subscription, created with defaults (all themes, its channels) on first use."""
    sub = session.exec(select(Subscription).where(Subscription.firm_id == firm_id)).first()
    if sub is None:
        sub = Subscription(firm_id=firm_id)
        session.add(sub)
        session.flush()
    return sub


def firm_channels(*, firm: Firm, sub: Subscription | None) -> list[str]:
    """The channels a firm receives on: its subscription's, else its registry choice, else 站内信."""
    chosen = (sub.channels if sub and sub.channels else None) or firm.channels or ["inbox"]
    return [c for c in chosen if c in CHANNELS]


def wants(*, sub: Subscription | None, themes: list[str]) -> bool:
    """Whether the subscription accepts a policy with ``themes``."""
    if sub is None:
        return True
    if not sub.active:
        return False
    if sub.muted_themes and themes and set(themes) <= set(sub.muted_themes):
        return False
    return not sub.themes or not themes or bool(set(sub.themes) & set(themes))


def webhook_secret(*, session: Session, firm_id: int) -> str:
    """The firm's webhook signing secret, generated on first use."""
    sub = get_subscription(session=session, firm_id=firm_id)
    if not sub.webhook_secret:
        sub.webhook_secret = "whsec_" + secrets.token_hex(24)
        session.add(sub)
        session.flush()
    return sub.webhook_secret


def update_subscription(
    *, session: Session, firm_id: int, themes: list[str], channels: list[str],
    frequency: str, quiet_start: str | None, quiet_end: str | None, active: bool = True,
) -> Subscription:
    """Replace the firm's preferences after validating them."""
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise InvalidInput(f"未知的推送渠道：{'、'.join(unknown)}")
    try:
        freq = Frequency(frequency)
    except ValueError:
        raise InvalidInput(f"推送频率应为{'、'.join(f.value for f in Frequency)}") from None
    for value in (quiet_start, quiet_end):
        if value:
            try:
                parse_hhmm(value)
            except ValueError:
                raise InvalidInput(f"免打扰时间格式应为HH:MM：{value}") from None
    sub = get_subscription(session=session, firm_id=firm_id)
    sub.themes = [t for t in dict.fromkeys(t.strip() for t in themes) if t]
    sub.channels, sub.frequency, sub.active = list(dict.fromkeys(channels)), freq, active
    sub.quiet_start, sub.quiet_end = quiet_start or None, quiet_end or None
    sub.muted_themes = [t for t in sub.muted_themes if t not in sub.themes]
    sub.updated_at = utcnow()
    session.add(sub)
    session.flush()
    return sub


def unsubscribe(*, session: Session, firm_id: int, theme: str | None) -> Subscription:
    """Apply a one-click unsubscribe: from one theme, or from everything."""
    if session.get(Firm, firm_id) is None:
        raise InvalidInput("该企业已不在推送名单中")
    sub = get_subscription(session=session, firm_id=firm_id)
    if theme:
        sub.muted_themes = [*dict.fromkeys([*sub.muted_themes, theme])]
        sub.themes = [t for t in sub.themes if t != theme]
    else:
        sub.active = False
    sub.updated_at = utcnow()
    session.add(sub)
    session.flush()
    return sub


def mark_policy(*, session: Session, firm_id: int, policy_id: int, mark: str) -> FirmPolicyMark:
    """Record 已申报 / 不适用; pending reminders for that policy are cancelled."""
    try:
        value = Mark(mark)
    except ValueError:
        raise InvalidInput("标记应为applied（已申报）或not_applicable（不适用）") from None
    row = session.exec(select(FirmPolicyMark).where(
        FirmPolicyMark.firm_id == firm_id, FirmPolicyMark.policy_id == policy_id)).first()
    row = row or FirmPolicyMark(firm_id=firm_id, policy_id=policy_id, mark=value)
    row.mark, row.marked_at = value, utcnow()
    session.add(row)
    for push in session.exec(select(Push).where(
            Push.firm_id == firm_id, Push.policy_id == policy_id,
            col(Push.kind).in_(("reminder14", "reminder3")), Push.status == PushStatus.PENDING)):
        push.status, push.last_error = PushStatus.CANCELLED, "企业已标记，不再提醒"
        session.add(push)
    session.flush()
    return row


def marks_of(*, session: Session, firm_id: int) -> dict[int, Mark]:
    """The firm's marks by policy id."""
    rows = session.exec(select(FirmPolicyMark).where(FirmPolicyMark.firm_id == firm_id))
    return {r.policy_id: r.mark for r in rows}


def channel_state(*, session: Session, firm_id: int, channel: str) -> ChannelState:
    """The firm's health row for ``channel`` (created on first use)."""
    row = session.exec(select(ChannelState).where(
        ChannelState.firm_id == firm_id, ChannelState.channel == channel)).first()
    if row is None:
        row = ChannelState(firm_id=firm_id, channel=channel)
        session.add(row)
        session.flush()
    return row


def suspend_channel(
    *, session: Session, firm_id: int, channel: str, reason: str, now: datetime | None = None
) -> ChannelState:
    """Suspend a firm's channel (hard bounce, repeated webhook failures); visible to staff."""
    row = channel_state(session=session, firm_id=firm_id, channel=channel)
    if row.suspended_at is None:
        row.suspended_at, row.suspended_reason = to_utc(now), reason
        session.add(row)
        session.flush()
    return row


def enable_channel(
    *, session: Session, firm_id: int, channel: str, now: datetime | None = None
) -> int:
    """Lift a suspension; held pushes go back to the queue. Returns how many were released."""
    row = channel_state(session=session, firm_id=firm_id, channel=channel)
    row.suspended_at, row.suspended_reason, row.consecutive_failures = None, None, 0
    session.add(row)
    released = 0
    for model in (Push, Digest):
        for unit in session.exec(select(model).where(
                model.firm_id == firm_id, model.channel == channel,
                model.status == PushStatus.HELD)):
            unit.status, unit.due_at, unit.claimed_by, unit.lease_until = (
                PushStatus.PENDING, to_utc(now), None, None)
            session.add(unit)
            released += 1
    session.flush()
    return released
