"""Extension points: packages built on the knowledge base (push, web) plug in through entry points.

kb never imports them by name; pyproject.toml registers each in a ``policykb.*`` group:
``policykb.tables`` (modules whose tables make up the one schema), ``policykb.listeners`` (modules
with ``on_policy_event``), ``policykb.commands`` (``register(subparsers)`` functions) and
``policykb.serve`` (the function that serves the web application) and ``policykb.content``
(modules with ``KIND``, ``validate(data)`` and ``publish(session=, revision=, names=)`` for content
kinds kb signs off but does not define, e.g. push's 申兑指南).
"""

from functools import cache
from importlib.metadata import entry_points


@cache
def load(group: str) -> tuple:
    """Everything registered under ``policykb.<group>``, loaded, in name order."""
    found = sorted(entry_points(group=f"policykb.{group}"), key=lambda ep: ep.name)
    return tuple(ep.load() for ep in found)


def content_kind(kind: str):  # noqa: ANN201
    """The module that handles a plugged-in content kind, or None."""
    return next((m for m in load("content") if getattr(m, "KIND", None) == kind), None)
