"""Input shapes: the documented JSONL bulk format for policies with interpretations and FAQ."""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kb.models import Level, Validity

SIZE_ALIASES = {"大型": "large", "中型": "medium", "小型": "small", "微型": "micro",
                "large": "large", "medium": "medium", "small": "small", "micro": "micro"}
VALIDITY_ALIASES = {"valid": Validity.VALID, "expired": Validity.EXPIRED,
                    "repealed": Validity.REPEALED, "revised": Validity.REVISED}


def validity_alias(v):  # noqa: ANN001, ANN201
    """An English validity name (valid, expired, repealed, revised) as its Chinese label."""
    return VALIDITY_ALIASES.get(v, v) if isinstance(v, str) else v


def normalise_sizes(v: list[str]) -> list[str]:
    """Size labels (大型…微型 or large…micro) as sorted English names; ValueError naming a bad one."""
    bad = [s for s in v if s not in SIZE_ALIASES]
    if bad:
        raise ValueError(f"未知的企业规模“{bad[0]}”（可选：大型、中型、小型、微型，或 large、medium、small、micro）")
    return sorted({SIZE_ALIASES[s] for s in v})


class SectionRecord(BaseModel):
    """A further interpretation section (e.g. 适用范围, 申报流程)."""

    title: str = Field(min_length=1)
    text: str = Field(min_length=1)


class InterpretationRecord(BaseModel):
    """An interpretation: 背景, 目的, 主要举措, further sections and the three sign-off names."""

    title: str | None = None
    background: str = ""
    purpose: str = ""
    measures: str = ""
    sections: list[SectionRecord] = []
    drafter: str | None = None
    reviewer: str | None = None
    publisher: str | None = None


class FaqRecord(BaseModel):
    """One curated question and answer."""

    question: str = Field(min_length=1)
    answer: str = Field(min_length=1)


class PolicyRecord(BaseModel):
    """One line of the JSONL bulk format (see README "Data formats"); only ``text`` is required."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=300)
    text: str = Field(min_length=1)
    doc_number: str | None = None
    issuer: str | None = None
    department: str | None = None
    level: Level | None = None
    issue_date: date | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    validity: Validity = Validity.VALID
    superseded_by: str | None = None  # the ``id`` of the policy that replaced this one
    source_url: str | None = None
    themes: list[str] = []
    industries_include: list[str] = []
    industries_exclude: list[str] = []
    sizes: list[str] = []
    regions: list[str] = []
    qualifications: list[str] = []
    apply_from: date | None = None
    apply_to: date | None = None
    beneficiaries: str | None = None
    conditions: str | None = None
    fulfil_time: str | None = None
    address: str | None = None
    phone: str | None = None
    interpretations: list[InterpretationRecord] = []
    faq: list[FaqRecord] = []

    @field_validator("id", "title", "issuer", "department", "doc_number", mode="before")
    @classmethod
    def _blank_is_none(cls, v):  # noqa: ANN001, ANN206
        if isinstance(v, str) and not v.strip():
            return None
        return str(v) if isinstance(v, int) else v

    _validity = field_validator("validity", mode="before")(validity_alias)
    _sizes = field_validator("sizes")(normalise_sizes)

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("text is empty")
        return v
