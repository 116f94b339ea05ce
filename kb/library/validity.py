"""Validity expiry: a policy whose effective-to date has passed becomes 失效 by itself.

Run at web start-up and every county midnight (web/scheduler.py), or from cron with
``policykb validity expire``. Each expiry is a published change like any other: a new version
with its snapshot, an audit entry, a revision event for the firms already told, and an index
version bump so every process's searcher weighs the policy as 失效 from then on.
"""

from datetime import date

from sqlmodel import Session, col, select

from kb.database.db import key
from kb.events import EventKind, PolicyEvent, emit
from kb.library.fields import CHANGE_LABELS
from kb.library.index_state import bump_version
from kb.library.versions import record_version
from kb.models import Policy, Status, Validity, utcnow
from kb.staff import audit

EXPIRY_SUMMARY = "有效期届满，自动失效"
CHANGES = [CHANGE_LABELS["validity"]]  # what revision notices say changed


def overdue(*, session: Session, today: date) -> list[Policy]:
    """Published policies still 有效 whose effective-to date is before ``today``."""
    return list(session.exec(select(Policy).where(
        Policy.status == Status.PUBLISHED, Policy.validity == Validity.VALID,
        col(Policy.effective_to).is_not(None), col(Policy.effective_to) < today,
    ).order_by(col(Policy.id))))


def expire_overdue(*, session: Session, today: date,
                   actor: audit.Actor = audit.SYSTEM) -> list[Policy]:
    """Mark every overdue policy 失效 as a new published version; returns those it changed."""
    # A policy is still valid on its effective-to date itself ("有效期至 2025-12-31" includes it).
    expired = overdue(session=session, today=today)
    for policy in expired:
        if policy.effective_to is None:  # overdue() selects only policies with one
            raise ValueError(f"policy {policy.id} has no effective-to date to expire at")
        policy.validity = Validity.EXPIRED
        policy.version += 1
        policy.updated_at = utcnow()
        session.add(policy)
        record_version(session=session, policy=policy, summary=EXPIRY_SUMMARY,
                       published_by=actor.name)
        emit(session=session, event=PolicyEvent(kind=EventKind.REVISED, policy_id=key(policy),
                                                version=policy.version, changes=list(CHANGES)))
        audit.record(session=session, actor=actor, action="policy.expire", record_kind="policy",
                     record_id=policy.id, detail={"effective_to": policy.effective_to.isoformat(),
                                                  "title": policy.title,
                                                  "version": policy.version})
    if expired:
        # Once: every process reloads the validity it ranks by.
        bump_version(session=session, policy_ids=[key(p) for p in expired])
    return expired
