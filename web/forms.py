"""Staff form fields: how each draft field is shown, and how a posted form becomes draft data.

A policy's inputs (widget, hint, required) are declared in kb/library/fields.py.
"""

import re
from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import FormData

from kb.authoring.drafts import FIELD_LABELS
from kb.authoring.kinds import checked
from kb.errors import InvalidInput
from kb.library.fields import FIELDS
from kb.models import ContentKind

LIST_SEPARATORS = re.compile(r"[,，、;；\s]+")
SECTION_SLOTS = 2  # blank further-section slots offered below the filled ones


@dataclass(frozen=True)
class FormField:
    """One input of a draft form."""

    name: str
    kind: str = "text"  # text | textarea | long | date | select | list | number
    required: bool = False
    options: tuple[str, ...] = ()
    hint: str = ""

    @property
    def label(self) -> str:
        """The field's Chinese label."""
        return FIELD_LABELS[self.name]


POLICY_FORM = tuple(FormField(f.name, f.widget, f.required, f.options, f.hint)
                    for f in FIELDS if f.widget is not None)  # those a department drafts
INTERPRETATION_FORM = (
    FormField("title"),
    FormField("background", "textarea", hint="为什么出台：形势、问题、上位政策"),
    FormField("purpose", "textarea", hint="要达到什么目标、惠及谁"),
    FormField("measures", "long", hint="用自己的话讲清楚怎么做、给什么、怎么申请"),
)
FAQ_FORM = (FormField("question", "textarea", required=True),
            FormField("answer", "long", required=True))
FORMS = {ContentKind.POLICY: POLICY_FORM, ContentKind.INTERPRETATION: INTERPRETATION_FORM,
         ContentKind.FAQ: FAQ_FORM}


def form_kind(kind: str) -> ContentKind:
    """``kind`` as one of kb's kinds, which have forms; InvalidInput for a kind another package
    registers (申兑指南: drafted as JSON) or none does."""
    checked(kind)
    if kind not in FORMS:
        raise InvalidInput("申兑指南以JSON起草：policykb guides draft FILE --policy ID --by 用户名")
    return ContentKind(kind)


def _value(f: FormField, raw: str) -> list[str] | str | None:
    raw = raw.strip()
    if f.kind == "list":
        return [v for v in LIST_SEPARATORS.split(raw) if v]
    if f.kind in ("date", "select", "number") or (not f.required and f.kind == "text"):
        if not raw:
            return None
        return raw
    return raw


def draft_data(kind: ContentKind, form: FormData) -> dict:
    """The posted fields of a draft form as draft data (validation happens in the domain)."""
    data: dict[str, object] = {f.name: _value(f, str(form.get(f.name) or ""))
                               for f in FORMS[kind]}
    if kind == ContentKind.INTERPRETATION:
        titles, texts = form.getlist("section_title"), form.getlist("section_text")
        data["sections"] = [{"title": str(t).strip(), "text": str(x).strip()}
                            for t, x in zip(titles, texts, strict=False)
                            if str(t).strip() or str(x).strip()]
        for name in ("background", "purpose", "measures"):
            data[name] = data[name] or ""
    return data


SIZE_NAMES = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}


def shown(kind: ContentKind, data: dict) -> dict:
    """Draft data as the form's input values (lists joined, blanks empty)."""
    out: dict[str, object] = {}
    for f in FORMS[kind]:
        value = data.get(f.name)
        if f.name == "sizes" and isinstance(value, list):
            value = [SIZE_NAMES.get(v, v) for v in value]
        out[f.name] = "、".join(value) if isinstance(value, list) else ("" if value is None else str(value))
    if kind == ContentKind.INTERPRETATION:
        sections = list(data.get("sections") or [])
        out["sections"] = sections + [{"title": "", "text": ""}] * SECTION_SLOTS
    return out


async def posted_form(request: Request) -> FormData:
    """Dependency: the posted form, parsed on the event loop, so the route itself can be sync.

    A route that writes must not be ``async def``: its blocking database calls would hold the
    event loop while it waits for the write lock, and the request holding that lock could then
    never commit (its commit runs on the loop too) until the busy timeout gave a 500.
    """
    return await request.form()  # Starlette caches it: verify_csrf's read costs nothing more
