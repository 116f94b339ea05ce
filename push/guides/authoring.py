"""The 申兑指南 as a content kind of the sign-off workflow (拟稿人 → 审核人 → 发布人).

Registered under ``policykb.content``: kb's workflow drafts, reviews and publishes revisions of
kind ``guide`` and calls ``validate`` on every save and ``publish`` at publication, in the
publishing transaction: the guide and its catch-up pushes commit together or not at all.
"""

from sqlmodel import Session

from kb.models import Revision
from push.facts.catalog import Catalog
from push.guides.service import save_guide, validate_guide

KIND = "guide"


def validate(data: dict, *, session: Session | None = None) -> dict:
    """The guide draft checked against the county's fact catalog."""
    return validate_guide(data, Catalog.load(session))


def publish(*, session: Session, revision: Revision, names: dict[str, str]) -> int:
    """Make the approved guide the policy's live one and tell the firms it fits what they can
    expect (once); returns the guide's id."""
    # Imported here: the outbox imports the matcher, which imports push.guides.
    from push.delivery.catchup import catch_up

    guide = save_guide(session=session, policy_id=revision.policy_id, data=revision.data,
                       names=names)
    catch_up(session=session, policy_id=revision.policy_id)
    return guide.id
