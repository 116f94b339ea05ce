"""Publication events, handed to listeners inside the publishing transaction (the push outbox is one)."""

from dataclasses import dataclass, field
from enum import StrEnum

from sqlmodel import Session

from kb import plugins


class EventKind(StrEnum):
    """What happened to a policy."""

    PUBLISHED = "published"  # first publication
    REVISED = "revised"  # a new version of a published policy (text, facets or interpretation)
    SUPERSEDED = "superseded"  # replaced by another policy (``successor_id``)
    WITHDRAWN = "withdrawn"  # no longer published
    # Content of a kind another package registers was published (``PolicyEvent.content`` names
    # the kind, e.g. push's 申兑指南, which changes what firms can expect).
    CONTENT = "content"


@dataclass(frozen=True)
class PolicyEvent:
    """A change to a published policy, with what changed for the people already told about it."""

    kind: EventKind
    policy_id: int
    version: int
    changes: list[str] = field(default_factory=list)  # e.g. ["有效期", "申报条件", "政策解读"]
    successor_id: int | None = None
    content: str | None = None  # with CONTENT: the registered kind published (kb.authoring.kinds)


def emit(*, session: Session, event: PolicyEvent) -> None:
    """Hand ``event`` to every listener; they write in ``session``, so all commits or nothing does."""
    for module in plugins.load("listeners"):  # modules with ``on_policy_event`` (the push outbox)
        module.on_policy_event(session=session, event=event)
