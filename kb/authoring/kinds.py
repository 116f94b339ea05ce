"""The content kinds a revision may edit: kb's own and those other packages register through
``policykb.content`` (push's 申兑指南), with the names clerks read."""

from kb import plugins
from kb.errors import InvalidInput
from kb.models import KIND_LABELS


def labels() -> dict[str, str]:
    """Every kind's label, kb's first."""
    return {**{str(k): v for k, v in KIND_LABELS.items()},
            **{m.KIND: m.LABEL for m in plugins.load("content")}}


def label(kind: str) -> str:
    """What clerks call ``kind`` (the kind itself when nothing registers it)."""
    return labels().get(kind, kind)


def checked(kind: str) -> str:
    """``kind`` when it is kb's or registered; otherwise InvalidInput naming the ones there are."""
    known = labels()
    if kind not in known:
        raise InvalidInput(f"不支持的内容类型：{kind}（可选：{'、'.join(known)}）")
    return kind
