"""Publication events, handed to listeners inside the publishing transaction (the push outbox is one)."""

import importlib
from dataclasses import dataclass, field
from enum import StrEnum

from sqlmodel import Session

# Modules with an ``on_policy_event(*, session, event)`` function; missing ones are skipped, so the
# knowledge base runs without the push package.
LISTENER_MODULES = ("push.outbox",)


class EventKind(StrEnum):
    """What happened to a policy."""

    PUBLISHED = "published"  # first publication
    REVISED = "revised"  # a new version of a published policy (text, facets or interpretation)
    SUPERSEDED = "superseded"  # replaced by another policy (``successor_id``)
    WITHDRAWN = "withdrawn"  # no longer published


@dataclass(frozen=True)
class PolicyEvent:
    """A change to a published policy, with what changed for the people already told about it."""

    kind: EventKind
    policy_id: int
    version: int
    changes: list[str] = field(default_factory=list)  # e.g. ["有效期", "申报条件", "政策解读"]
    successor_id: int | None = None


def _listeners() -> list:
    out = []
    for name in LISTENER_MODULES:
        try:
            out.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:  # the listener exists but is broken: that must not pass silently
                raise
    return out


def emit(*, session: Session, event: PolicyEvent) -> None:
    """Hand ``event`` to every listener; they write in ``session``, so all commits or nothing does."""
    for module in _listeners():
        module.on_policy_event(session=session, event=event)
