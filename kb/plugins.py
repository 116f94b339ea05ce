"""Extension points: packages built on the knowledge base (push, web) plug in through entry points.

kb never imports them by name; pyproject.toml registers each in a ``policykb.*`` group:
``policykb.tables`` (modules whose tables make up the one schema), ``policykb.migrations``
(modules with ``VERSIONS``, the folder of the package's revisions in the one migration history),
``policykb.listeners`` (modules
with ``on_policy_event``), ``policykb.commands`` (``register(subparsers)`` functions) and
``policykb.serve`` (the function that serves the web application), ``policykb.settings``
(pydantic-settings classes read from the same ``KB_`` variables, see ``kb.config.Settings.section``), ``policykb.content``
(modules with ``KIND``, ``validate(data)`` and ``publish(session=, revision=, names=)`` for content
kinds kb signs off but does not define, e.g. push's 申兑指南) and ``policykb.seeds`` (modules with
``seed(session) -> str``, run by ``policykb init`` and ``demo`` once the schema exists: each adds
the rows a new database starts with, e.g. push's holiday arrangements, only where none are yet, so
running it again changes nothing and never undoes what the county entered; it flushes, the caller
commits, and it returns a line for init's report, empty when it added nothing; ``TABLES`` names the
tables it fills, which a restore may overwrite without --force). Packages may
define groups of their own the same way: ``policykb.application_guards`` (functions every
application move passes, so push.applications runs push.direct's 异议 check without importing it).
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Protocol

from kb.errors import KBError

if TYPE_CHECKING:
    from sqlmodel import Session

    from kb.models import Revision

# Groups an installation cannot work without: the schema's tables, the listeners that push
# publications (without them a publication would push nobody, and nothing would say so), and
# the command groups.
REQUIRED = {"tables": "数据库表", "migrations": "推送相关数据表的迁移",
            "listeners": "推送发件箱：政策发布后不会推送给任何企业", "commands": "推送与服务命令"}


@cache
def named(group: str) -> tuple[tuple[str, Any], ...]:
    """Everything registered under ``policykb.<group>`` with its name, loaded, in name order."""
    found = sorted(entry_points(group=f"policykb.{group}"), key=lambda ep: ep.name)
    return tuple((ep.name, ep.load()) for ep in found)


def load(group: str) -> tuple[Any, ...]:
    """Everything registered under ``policykb.<group>``, loaded, in name order."""
    return tuple(thing for _, thing in named(group))


class ContentHandler(Protocol):
    """A ``policykb.content`` module: a content kind kb signs off but does not define."""

    KIND: str
    LABEL: str  # what clerks call it, e.g. 申兑指南

    def validate(self, data: dict, *, session: Session | None = None) -> dict:
        """The draft checked, as JSON-ready values (InvalidInput when it is not valid)."""
        ...

    def publish(self, *, session: Session, revision: Revision, names: dict[str, str]) -> int:
        """Make the approved ``revision`` live, in the publishing transaction; its record's id."""
        ...


def content_kind(kind: str) -> ContentHandler | None:
    """The module that handles a plugged-in content kind, or None."""
    return next((m for m in load("content") if getattr(m, "KIND", None) == kind), None)


class NotInstalled(KBError):
    """A required entry point group is empty: PolicyKB's package metadata is missing."""


def require(groups: dict[str, str] | None = None) -> None:
    """Refuse to start when a required ``policykb.*`` group registers nothing (a checkout run
    without ``pip install -e .``, or a broken install), naming what would be missing."""
    empty = [(g, what) for g, what in (REQUIRED if groups is None else groups).items()
             if not entry_points(group=f"policykb.{g}")]
    if empty:
        named = "；".join(f"policykb.{g}（{what}）" for g, what in empty)
        raise NotInstalled(f"PolicyKB 未正确安装：以下扩展点没有登记任何模块：{named}。"
                           "请在源码目录运行 pip install -e . 后重试")
