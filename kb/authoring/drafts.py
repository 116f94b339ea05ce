"""What a department may write: the draft shapes of a policy, an interpretation and an FAQ item."""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails
from sqlmodel import Session

from kb.errors import InvalidInput
from kb.library import schemas as lim
from kb.library.fields import LABELS, MAX_TITLE, declared
from kb.library.schemas import (
    Items,
    SectionRecord,
    audience_alias,
    checked_url,
    normalise_sizes,
    validity_alias,
)
from kb.models import Audience, ContentKind, Level, Validity


class _Draft(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PolicyDraft(_Draft):
    """A policy as its department drafts it: the drafted fields of kb/library/fields.py."""

    title: str = declared("title")
    doc_number: str | None = declared("doc_number", None)
    issuer: str | None = declared("issuer", None)
    level: Level | None = None
    issue_date: date | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    validity: Validity = Validity.VALID
    audience: Audience = Audience.ENTERPRISE
    superseded_by_id: int | None = None
    source_url: str | None = declared("source_url", None)
    themes: Items = []
    industries_include: Items = []
    industries_exclude: Items = []
    sizes: Items = []
    regions: Items = []
    qualifications: Items = []
    apply_from: date | None = None
    apply_to: date | None = None
    beneficiaries: str | None = declared("beneficiaries", None)
    conditions: str | None = declared("conditions", None)
    fulfil_time: str | None = declared("fulfil_time", None)
    address: str | None = declared("address", None)
    phone: str | None = declared("phone", None)
    full_text: str = declared("full_text")

    _validity = field_validator("validity", mode="before")(validity_alias)
    _audience = field_validator("audience", mode="before")(audience_alias)
    _sizes = field_validator("sizes")(normalise_sizes)
    _url = field_validator("source_url")(checked_url)

    @field_validator("industries_include", "industries_exclude")
    @classmethod
    def _industries(cls, v: list[str]) -> list[str]:
        # Checked when drafted, not when the matcher first reads them at publication.
        from kb.errors import KBError
        from kb.standards.industry import normalize_industry_code

        out = []
        for raw in v:
            try:
                out.append(normalize_industry_code(raw))
            except KBError as exc:
                raise ValueError(exc.message) from None
        return list(dict.fromkeys(out))

    @model_validator(mode="after")
    def _dates(self) -> "PolicyDraft":
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValueError("有效期截止日期早于施行日期")
        if self.apply_from and self.apply_to and self.apply_to < self.apply_from:
            raise ValueError(f"{LABELS['apply_to']}日期早于{LABELS['apply_from']}日期")
        if self.superseded_by_id is not None and self.validity == Validity.VALID:
            raise ValueError(f"有效的政策不能填写“{LABELS['superseded_by_id']}”；"
                             f"请先把{LABELS['validity']}改为已修订或废止")
        return self


class InterpretationDraft(_Draft):
    """An interpretation: 背景, 目的, 主要举措 and further sections."""

    title: str | None = Field(default=None, max_length=MAX_TITLE)
    background: str = Field(default="", max_length=lim.MAX_BACKGROUND)
    purpose: str = Field(default="", max_length=lim.MAX_PURPOSE)
    measures: str = Field(default="", max_length=lim.MAX_MEASURES)
    sections: list[SectionRecord] = Field(default=[], max_length=lim.MAX_LIST)

    @model_validator(mode="after")
    def _not_empty(self) -> "InterpretationDraft":
        if not (self.background or self.purpose or self.measures or self.sections):
            raise ValueError("解读内容为空：请至少填写背景、目的或主要举措")
        return self


class FaqDraft(_Draft):
    """A curated question and its answer."""

    question: str = Field(min_length=2, max_length=lim.MAX_QUESTION)
    answer: str = Field(min_length=2, max_length=lim.MAX_ANSWER)


SHAPES: dict[str, type[_Draft]] = {
    ContentKind.POLICY: PolicyDraft, ContentKind.INTERPRETATION: InterpretationDraft,
    ContentKind.FAQ: FaqDraft,
}

# What drafts' errors, the staff form and the review page call each field.
FIELD_LABELS = LABELS | {
    "background": "背景", "purpose": "目的", "measures": "主要举措", "sections": "其他章节",
    "question": "问题", "answer": "答案",
}


def _message(err: ErrorDetails) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind in ("missing", "string_too_short"):
        return "不能为空" if ctx.get("min_length", 1) <= 1 else f"至少 {ctx['min_length']} 个字"
    if kind == "string_too_long":
        return f"过长（最多 {ctx.get('max_length')} 字）"
    if kind == "too_long":
        return f"过多（最多 {ctx.get('max_length')} 项）"
    if kind.startswith("date"):
        return "不是有效日期（格式 YYYY-MM-DD）"
    if kind.startswith("int"):
        return "应为整数"
    if kind == "enum":
        return f"应为以下之一：{ctx.get('expected', '')}".replace("'", "").replace(" or ", "、")
    if kind == "extra_forbidden":
        return "不是可填写的字段"
    return err["msg"].removeprefix("Value error, ")


def validate_draft(kind: str, data: dict, session: Session | None = None) -> dict:
    """The draft as JSON-ready values, or InvalidInput naming the first bad field in Chinese."""
    if kind not in SHAPES:  # a kind another package defines checks its own shape
        from kb import plugins
        from kb.authoring.kinds import checked

        handler = plugins.content_kind(checked(kind))
        if handler is None:
            raise InvalidInput(f"不支持的内容类型：{kind}")
        return handler.validate(data, session=session)
    try:
        # A field left out (or blank) takes its default, e.g. validity 有效.
        draft = SHAPES[kind].model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        label = FIELD_LABELS.get(str(err["loc"][0]), field) if err["loc"] else ""
        raise InvalidInput(f"{label}：{_message(err)}" if label else _message(err)) from None
    return draft.model_dump(mode="json")
