"""The 申兑指南 as a content kind of the sign-off workflow (拟稿人 → 审核人 → 发布人).

Registered under ``policykb.content``: kb's workflow drafts, reviews and publishes revisions of
kind ``guide`` and calls ``validate`` on every save and ``publish`` at publication, in the
publishing transaction: the guide and its catch-up pushes commit together or not at all.
"""

from sqlmodel import Session

from kb.database.db import get_or_missing, key
from kb.events import EventKind, PolicyEvent, emit
from kb.models import Policy, Revision
from push.facts.catalog import Catalog
from push.guides.service import save_guide, validate_guide

KIND = "guide"
LABEL = "申兑指南"


def validate(data: dict, *, session: Session | None = None) -> dict:
    """The guide draft checked against the county's fact catalog."""
    return validate_guide(data, Catalog.load(session))


def publish(*, session: Session, revision: Revision, names: dict[str, str]) -> int:
    """Make the approved guide the policy's live one and announce it (kb.events), so that the
    push outbox tells the firms it fits what they can expect; returns the guide's id."""
    policy = get_or_missing(session, Policy, revision.policy_id,
                            f"没有编号为 {revision.policy_id} 的政策")
    guide = save_guide(session=session, policy_id=key(policy), data=revision.data, names=names)
    emit(session=session, event=PolicyEvent(EventKind.CONTENT, key(policy), policy.version,
                                            content=KIND))
    return key(guide)
