"""Catch-up pushes: a guide published after its policy tells the firms it fits what they can expect.

A firm pushed the policy before the guide was told no amount; a firm the matcher could not judge
then was not pushed at all. When the guide is published, every firm its rules now pay and that no
push has yet told an amount gets one ``GUIDE`` push. Its outbox key (firm, policy, version,
channel, kind) makes it once per policy version, however often the guide is republished.
"""

from datetime import datetime

from sqlmodel import Session, select

from kb.models import Policy, Status
from push.delivery.clock import local_today
from push.delivery.models import FirmPolicyMark, Push, PushKind, PushStatus
from push.delivery.outbox import TOLD_KINDS, enqueue, matched_firms
from push.matching.rules import MET_PREFIX

LEAD = "申兑指南已发布，现可测算您可享受的金额"


def _told_amount(session: Session, policy_id: int) -> set[int]:
    """Firms a live push about the policy already told an amount (its reasons name the guide)."""
    rows = session.exec(select(Push.firm_id, Push.reasons).where(
        Push.policy_id == policy_id, Push.kind.in_(TOLD_KINDS),
        Push.status != PushStatus.CANCELLED))
    return {f for f, reasons in rows if any(r.startswith(MET_PREFIX) for r in reasons)}


def catch_up(*, session: Session, policy_id: int, now: datetime | None = None) -> int:
    """Queue the follow-up pushes for a policy whose guide was just published; how many are new."""
    policy = session.get(Policy, policy_id)
    if policy is None or policy.status != Status.PUBLISHED:
        return 0  # an unpublished policy is pushed, guide and all, when it is published
    told = _told_amount(session, policy_id)
    marked = set(session.exec(select(FirmPolicyMark.firm_id).where(
        FirmPolicyMark.policy_id == policy_id)).all())  # 已申报 / 不适用: nothing more to say
    firms = [(f, [LEAD, *reasons]) for f, reasons in
             matched_firms(session=session, policy_id=policy_id, today=local_today(now))
             if f.id not in told and f.id not in marked]
    return enqueue(session=session, policy=policy, kind=PushKind.GUIDE, firms=firms,
                   version=policy.version, now=now)
