"""Opens, clicks and the firm page: what a firm sees and what its reading tells staff."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from kb.database.db import key
from kb.models import Policy
from push.delivery.clock import to_utc
from push.delivery.models import (
    ChannelState,
    InboxMessage,
    Mark,
    Push,
    PushStatus,
    Subscription,
)
from push.delivery.subscriptions import get_subscription, marks_of
from push.errors import FirmNotFound
from push.firms.models import Firm


def record_open(*, session: Session, push_id: int, now: datetime | None = None) -> Push | None:
    """Note the first open of a push (email pixel, inbox read)."""
    push = session.get(Push, push_id)
    if push is not None and push.opened_at is None:
        push.opened_at = to_utc(now)
        session.add(push)
        session.flush()
    return push


def record_click(*, session: Session, push_id: int, now: datetime | None = None) -> Push | None:
    """Note a click-through (which implies an open); returns the push for its policy id."""
    push = record_open(session=session, push_id=push_id, now=now)
    if push is not None and push.clicked_at is None:
        push.clicked_at = to_utc(now)
        session.add(push)
        session.flush()
    return push


def read_inbox(*, session: Session, firm_id: int, now: datetime | None = None) -> list[InboxMessage]:
    """The firm's inbox, newest first; unread messages are marked read (and their pushes opened)."""
    messages = list(session.exec(select(InboxMessage).where(InboxMessage.firm_id == firm_id)
                                 .order_by(col(InboxMessage.id).desc()).limit(100)))
    for msg in messages:
        if msg.read_at is None:
            msg.read_at = to_utc(now)
            session.add(msg)
            for push_id in msg.push_ids:
                record_open(session=session, push_id=push_id, now=now)
    session.flush()
    return messages


@dataclass
class PolicyLine:
    """A policy the firm was told about, with its deadline and the firm's mark."""

    policy_id: int
    title: str
    deadline: str | None
    mark: Mark | None


@dataclass
class FirmPage:
    """Everything the firm page shows."""

    firm: Firm
    subscription: Subscription
    inbox: list[InboxMessage]
    unread: int
    policies: list[PolicyLine]
    suspended: list[ChannelState]


def firm_page(*, session: Session, firm_id: int, now: datetime | None = None) -> FirmPage:
    """The firm's inbox (read on view), settings, told policies with marks, suspended channels."""
    firm = session.get(Firm, firm_id)
    if firm is None:
        raise FirmNotFound("该企业不存在")
    sub = get_subscription(session=session, firm_id=firm_id)
    unread = len(session.exec(select(InboxMessage.id).where(
        InboxMessage.firm_id == firm_id, col(InboxMessage.read_at).is_(None))).all())
    inbox = read_inbox(session=session, firm_id=firm_id, now=now)
    marks = marks_of(session=session, firm_id=firm_id)
    ids = sorted(set(session.exec(select(Push.policy_id).where(
        Push.firm_id == firm_id, Push.status == PushStatus.DELIVERED)).all()))
    lines = []
    for policy in session.exec(select(Policy).where(col(Policy.id).in_(ids))) if ids else []:
        lines.append(PolicyLine(key(policy), policy.title,
                                policy.apply_to.isoformat() if policy.apply_to else None,
                                marks.get(key(policy))))
    suspended = list(session.exec(select(ChannelState).where(
        ChannelState.firm_id == firm_id, col(ChannelState.suspended_at).is_not(None))))
    return FirmPage(firm, sub, inbox, unread, lines, suspended)
