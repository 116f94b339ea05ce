"""Input shapes: the documented JSONL bulk format for policies with interpretations and FAQ."""

import re
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from kb.library.docnumber import normalise_doc_brackets
from kb.library.fields import MAX_TITLE, declared
from kb.models import Audience, Level, Validity

SIZE_ALIASES = {"大型": "large", "中型": "medium", "小型": "small", "微型": "micro",
                "large": "large", "medium": "medium", "small": "small", "micro": "micro"}
VALIDITY_ALIASES = {"valid": Validity.VALID, "expired": Validity.EXPIRED,
                    "repealed": Validity.REPEALED, "revised": Validity.REVISED}
AUDIENCE_ALIASES = {"enterprise": Audience.ENTERPRISE, "automatic": Audience.AUTOMATIC,
                    "internal": Audience.INTERNAL}


# One set of bounds for every way a record comes in (bulk files, documents, staff drafts), kept
# at or below the columns' and the read models' limits, so nothing stored can fail to be shown.
# A policy's own fields are bounded in kb/library/fields.py; these are the rest.
MAX_DEPARTMENT = 100  # Department.name
MAX_KEY = 200  # a bulk record's id (the source key adds a prefix; the column holds 400)
MAX_BACKGROUND = MAX_PURPOSE = 20_000
MAX_MEASURES = 50_000
MAX_SECTION_TEXT = 50_000
MAX_QUESTION = 500
MAX_ANSWER = 5000
MAX_LIST_ITEM = 100  # one theme, industry code, region or qualification
MAX_LIST = 200  # items in one such list
MAX_NAME = 100  # a sign-off name


def checked_url(v: object) -> str | None:
    """A link shown on pages (原文链接): http(s), a host, no credentials (``kb.inputs.urls``)."""
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    from kb.inputs.urls import web_url

    return web_url(str(v), what="链接")


def validity_alias(v: object) -> object:
    """An English validity name (valid, expired, repealed, revised) as its Chinese label."""
    return VALIDITY_ALIASES.get(v, v) if isinstance(v, str) else v


# A title that deploys work to departments (关于做好…工作的通知), not one that issues a policy
# (关于印发…办法的通知): such documents are read and searched but never offered to firms.
_WORK_NOTICE = re.compile(r"关于(?!印发|转发).*(工作|活动)的(通知|意见)$")


def infer_audience(title: str) -> Audience:
    """Whom a document without a stated audience is for, from its title."""
    return Audience.INTERNAL if _WORK_NOTICE.search(title.strip()) else Audience.ENTERPRISE


def audience_alias(v: object) -> object:
    """An English audience name (enterprise, automatic, internal) as its Chinese label."""
    return AUDIENCE_ALIASES.get(v.strip().lower(), v) if isinstance(v, str) else v


def normalise_sizes(v: list[str]) -> list[str]:
    """Size labels (大型…微型 or large…micro) as sorted English names; ValueError naming a bad one."""
    bad = [s for s in v if s not in SIZE_ALIASES]
    if bad:
        raise ValueError(f"未知的企业规模“{bad[0]}”（可选：大型、中型、小型、微型，或 large、medium、small、micro）")
    return sorted({SIZE_ALIASES[s] for s in v})


class SectionRecord(BaseModel):
    """A further interpretation section (e.g. 适用范围, 申报流程)."""

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    text: str = Field(min_length=1, max_length=MAX_SECTION_TEXT)


ListItem = Annotated[str, StringConstraints(max_length=MAX_LIST_ITEM)]
Items = Annotated[list[ListItem], Field(max_length=MAX_LIST)]


class InterpretationRecord(BaseModel):
    """An interpretation: 背景, 目的, 主要举措, further sections and the three sign-off names."""

    title: str | None = Field(default=None, max_length=MAX_TITLE)
    background: str = Field(default="", max_length=MAX_BACKGROUND)
    purpose: str = Field(default="", max_length=MAX_PURPOSE)
    measures: str = Field(default="", max_length=MAX_MEASURES)
    sections: list[SectionRecord] = Field(default=[], max_length=MAX_LIST)
    drafter: str | None = Field(default=None, max_length=MAX_NAME)
    reviewer: str | None = Field(default=None, max_length=MAX_NAME)
    publisher: str | None = Field(default=None, max_length=MAX_NAME)


class FaqRecord(BaseModel):
    """One curated question and answer."""

    question: str = Field(min_length=1, max_length=MAX_QUESTION)
    answer: str = Field(min_length=1, max_length=MAX_ANSWER)


class PolicyRecord(BaseModel):
    """One line of the JSONL bulk format (see docs/departments.md, "Data formats"); only ``text`` is required."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    # A policy's own fields (kb/library/fields.py) under their names, but for ``text``; the rest
    # (id, department, superseded_by, interpretations, faq) only a bulk record has.
    id: str | None = Field(default=None, max_length=MAX_KEY)
    title: str | None = declared("title", None)  # None: read from the text's header
    text: str = declared("full_text")
    doc_number: str | None = declared("doc_number", None)
    issuer: str | None = declared("issuer", None)
    department: str | None = Field(default=None, max_length=MAX_DEPARTMENT)
    level: Level | None = None
    issue_date: date | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    validity: Validity = Validity.VALID
    # None: inferred from the title (a 工作通知 to departments is internal), else 企业申报.
    audience: Audience | None = None
    superseded_by: str | None = Field(default=None, max_length=MAX_KEY)  # the replacing ``id``
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
    interpretations: list[InterpretationRecord] = Field(default=[], max_length=MAX_LIST)
    faq: list[FaqRecord] = Field(default=[], max_length=1000)

    @field_validator("id", "title", "issuer", "department", "doc_number", mode="before")
    @classmethod
    def _blank_is_none(cls, v: object) -> object:
        if isinstance(v, str) and not v.strip():
            return None
        return str(v) if isinstance(v, int) else v

    @field_validator("doc_number")
    @classmethod
    def _doc_number(cls, v: str | None) -> str | None:
        return normalise_doc_brackets(v) if v else v

    _validity = field_validator("validity", mode="before")(validity_alias)
    _audience = field_validator("audience", mode="before")(audience_alias)
    _sizes = field_validator("sizes")(normalise_sizes)
    _url = field_validator("source_url")(checked_url)

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("text is empty")
        return v
