"""Text and record diffs: a draft against the published version, and what each version changed.

Chinese has no spaces between words, so text is compared character by character, within the
sentences that changed; the result is merged into readable runs rather than single characters.
"""

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum

from markupsafe import Markup, escape

from kb.library.fields import LABELS, SIGNOFF_NAMES

EQUAL, INSERT, DELETE = "equal", "insert", "delete"
EMPTY = "—"
# An unchanged run this short between two changes reads as noise ("5" → "1" "0" "0"), so it is
# folded into the change around it: 2 characters is less than a Chinese word of substance.
MIN_EQUAL_RUN = 3
# A value this short ("有效", "县科技局") or a text that kept less than this share is shown
# replaced whole: a shared character or two in a rewrite is noise, not an edit to point at.
WHOLE_WORD = 4
MIN_SAME_SHARE = 0.3
# Character-level matching is quadratic in the worst case; paragraphs that changed beyond this
# size are shown as replaced whole (a rewritten 30k-character text is a rewrite, not an edit).
MAX_CHAR_DIFF = 5000

Segment = tuple[str, str]
_SENTENCE_END = re.compile(r"(?<=[。！？；\n])")
_ATOM_START = re.compile(r"[0-9A-Za-z]+")  # match(): the run a text starts with
_ATOM_END = re.compile(r"[0-9A-Za-z]+$")  # search(): the run it ends with


def _char_ops(old: str, new: str) -> list[tuple[str, str, str]]:
    """(tag, old part, new part) at character level; autojunk off, or 的/在/企业 would be ignored."""
    if len(old) > MAX_CHAR_DIFF or len(new) > MAX_CHAR_DIFF:
        return [("replace", old, new)]
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [(tag, old[i1:i2], new[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes()]


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s]


def _ops(old: str, new: str) -> list[tuple[str, str, str]]:
    """Sentences first (fast, and unchanged ones stay whole), then characters where they differ."""
    a, b = _sentences(old), _sentences(new)
    out: list[tuple[str, str, str]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        left, right = "".join(a[i1:i2]), "".join(b[j1:j2])
        for op in [(tag, left, right)] if tag != "replace" else _char_ops(left, right):
            if op[0] == "equal" and out and out[-1][0] == "equal":  # one run, however found
                out[-1] = ("equal", out[-1][1] + op[1], out[-1][2] + op[2])
            else:
                out.append(op)
    return out


def _whole_numbers(ops: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Widen changes to whole numbers and Latin words: "50"→"100", never "5"→"10" beside "0"."""
    runs = [list(op) for op in ops]  # mutable, to move characters between neighbours
    for n, op in enumerate(runs):
        if op[0] == "equal":
            continue
        if n > 0 and runs[n - 1][0] == "equal" and _ATOM_START.match(op[1] or op[2]):
            tail = _ATOM_END.search(runs[n - 1][1])
            if tail and tail.group():
                cut = tail.group()
                runs[n - 1][1] = runs[n - 1][2] = runs[n - 1][1][:-len(cut)]
                op[1], op[2] = cut + op[1], cut + op[2]
        if n + 1 < len(runs) and runs[n + 1][0] == "equal" and _ATOM_END.search(op[1] or op[2]):
            head = _ATOM_START.match(runs[n + 1][1])
            if head and head.group():
                cut = head.group()
                runs[n + 1][1] = runs[n + 1][2] = runs[n + 1][1][len(cut):]
                op[1], op[2] = op[1] + cut, op[2] + cut
    return [(t, a, b) for t, a, b in runs if a or b]


def text_diff(old: str, new: str) -> list[Segment]:
    """Segments ("equal" | "insert" | "delete", text) turning ``old`` into ``new``, in readable runs."""
    ops = _whole_numbers(_ops(old or "", new or ""))
    out: list[Segment] = []
    gone: list[str] = []
    came: list[str] = []

    def flush() -> None:
        if gone:
            out.append((DELETE, "".join(gone)))
        if came:
            out.append((INSERT, "".join(came)))
        gone.clear()
        came.clear()

    for n, (tag, left, right) in enumerate(ops):
        if tag == "equal":
            between = (gone or came) and n + 1 < len(ops)  # runs alternate: a change follows
            if between and len(left) < MIN_EQUAL_RUN and "\n" not in left:
                gone.append(left)
                came.append(right)
                continue
            flush()
            if out and out[-1][0] == EQUAL:
                out[-1] = (EQUAL, out[-1][1] + left)
            else:
                out.append((EQUAL, left))
        else:
            gone.append(left)
            came.append(right)
    flush()
    out = [s for s in out if s[1]]
    same = sum(len(text) for kind, text in out if kind == EQUAL)
    longest = max(len(old or ""), len(new or ""))
    if old and new and old != new and (longest <= WHOLE_WORD or same < MIN_SAME_SHARE * longest):
        return [(DELETE, old), (INSERT, new)]  # 有效→失效, or a rewrite: read it as a replacement
    return out


def render(segments: list[Segment]) -> Markup:
    """Segments as HTML: changes in ``<del>`` / ``<ins>``, every character of text escaped."""
    tags = {DELETE: "del", INSERT: "ins"}
    html = []
    for kind, text in segments:
        body = escape(text)
        html.append(body if kind == EQUAL else Markup(f"<{tags[kind]}>{body}</{tags[kind]}>"))
    return Markup("").join(html)


def diff_html(old: str, new: str) -> Markup:
    """HTML of the changes from ``old`` to ``new`` (show it with ``white-space: pre-wrap``)."""
    return render(text_diff(old, new))


# --- Records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldDiff:
    """One field of a record, before and after, as shown to a reviewer."""

    field: str
    label: str
    old: str
    new: str
    changed: bool
    html: Markup


def _value(value: object) -> object:
    """A comparable form: dates as ISO strings, enums as their value, lists element-wise."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_value(v) for v in value]
    return value


def _item_text(item: object) -> str:
    if isinstance(item, Mapping):  # an interpretation section {"title", "text"}
        return "\n".join(str(v) for v in item.values() if v not in (None, ""))
    return str(item)


def display(value: object) -> str:
    """How a value reads in a diff: lists joined with 、, None and blanks as —."""
    value = _value(value)
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        sep = "\n\n" if any(isinstance(v, Mapping) for v in value) else "、"
        return sep.join(_item_text(v) for v in value)
    return str(value)


def _blank(value: object) -> bool:
    return _value(value) in (None, "", [])


def field_diffs(old: Mapping | None, new: Mapping | None, labels: Mapping[str, str],
                shown: Mapping[str, Mapping] | None = None) -> list[FieldDiff]:
    """The fields in ``labels`` (in that order); ``old`` None: a new record, ``new`` None: removed.

    ``shown`` maps a field to {value: text} for ids a reader cannot read (department ids).
    """
    out = []
    for name, label in labels.items():
        a = None if old is None else old.get(name)
        b = None if new is None else new.get(name)
        if shown and name in shown:
            a, b = (shown[name].get(v, v) if v is not None else None for v in (a, b))
        changed = _value(a) != _value(b) and not (_blank(a) and _blank(b))
        old_text, new_text = display(a), display(b)
        if not changed:
            html = escape(new_text)
        elif _blank(a):
            html = render([(INSERT, new_text)])
        elif _blank(b):
            html = render([(DELETE, old_text)])
        else:
            html = diff_html(old_text, new_text)
        out.append(FieldDiff(name, label, old_text, new_text, changed, html))
    return out


# --- Policy version snapshots (kb/versions.py writes them) -------------------------------

SIGNOFF_LABELS = {name: LABELS[name] for name in SIGNOFF_NAMES}
POLICY_LABELS = LABELS  # every field a version snapshot holds, in the declared order
INTERPRETATION_LABELS = {"title": "标题", "background": "背景", "purpose": "目的",
                         "measures": "主要举措", "sections": "其他解读内容"} | SIGNOFF_LABELS
FAQ_LABELS = {"question": "问题", "answer": "答案", "ordinal": "排序"} | SIGNOFF_LABELS


@dataclass
class ItemDiff:
    """An interpretation or FAQ item that was added, removed or changed between two versions."""

    id: int | None
    name: str  # 《title》 or “question”, for lists and the summary
    status: str  # "added" | "removed" | "changed"
    fields: list[FieldDiff]

    @property
    def changed_labels(self) -> list[str]:
        """Labels of the fields that differ, sign-offs left out."""
        return [f.label for f in self.fields if f.changed and f.field not in SIGNOFF_LABELS]


@dataclass
class SnapshotDiff:
    """What changed between two published versions of a policy."""

    first: bool  # no earlier version: everything is new
    policy: list[FieldDiff]
    interpretations: list[ItemDiff] = field(default_factory=list)
    faq: list[ItemDiff] = field(default_factory=list)

    @property
    def changed_fields(self) -> list[FieldDiff]:
        """The policy fields that differ."""
        return [f for f in self.policy if f.changed]

    @property
    def changed(self) -> bool:
        """Whether anything differs at all."""
        return bool(self.changed_fields or self.interpretations or self.faq)

    def summary(self) -> list[str]:
        """What the version changed, in a few words each: ["效力状态", "政策解读：新增《…》"]."""
        if self.first:
            return ["首次发布"]
        # Sign-off names change with every publication; the detailed diff shows them.
        out = [f.label for f in self.changed_fields if f.field not in SIGNOFF_LABELS]
        for kind, items in (("政策解读", self.interpretations), ("常见问题", self.faq)):
            for item in items:
                if item.status == "added":
                    out.append(f"{kind}：新增{item.name}")
                elif item.status == "removed":
                    out.append(f"{kind}：删除{item.name}")
                else:
                    what = "、".join(item.changed_labels)
                    out.append(f"{kind}：修改{item.name}" + (f"（{what}）" if what else ""))
        return out


def _interpretation_name(item: Mapping) -> str:
    return f"《{item.get('title') or '政策解读'}》"


def _faq_name(item: Mapping) -> str:
    question = str(item.get("question") or "")
    return f"“{question[:30]}{'…' if len(question) > 30 else ''}”"


def _items(old: list[Mapping], new: list[Mapping], labels: Mapping[str, str],
           name_of: Callable[[Mapping], str]) -> list[ItemDiff]:
    before = {i.get("id"): i for i in old}
    after = {i.get("id"): i for i in new}
    out = []
    for key, item in after.items():
        if key not in before:
            out.append(ItemDiff(key, name_of(item), "added", field_diffs(None, item, labels)))
            continue
        fields = field_diffs(before[key], item, labels)
        if any(f.changed for f in fields):
            out.append(ItemDiff(key, name_of(item), "changed", fields))
    for key, item in before.items():
        if key not in after:
            out.append(ItemDiff(key, name_of(item), "removed", field_diffs(item, None, labels)))
    return out


def snapshot_diff(old: Mapping | None, new: Mapping, *,
                  departments: Mapping[int, str] | None = None,
                  policy_titles: Mapping[int, str] | None = None) -> SnapshotDiff:
    """Compare two version snapshots; interpretations and FAQ are matched by id.

    ``departments`` and ``policy_titles`` name the ids a snapshot holds, when the caller has them.
    """
    shown = {"department_id": departments or {}, "superseded_by_id": policy_titles or {}}
    policy = field_diffs(old["policy"] if old else None, new["policy"], POLICY_LABELS, shown)
    return SnapshotDiff(
        first=old is None, policy=policy,
        interpretations=_items((old or {}).get("interpretations") or [],
                               new.get("interpretations") or [], INTERPRETATION_LABELS,
                               _interpretation_name),
        faq=_items((old or {}).get("faq") or [], new.get("faq") or [], FAQ_LABELS, _faq_name),
    )
