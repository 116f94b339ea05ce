"""Guides: the draft shape, saving a published guide, and the calculator over a firm's policies."""

from datetime import date
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlmodel import Session, col, select

from kb import clock
from kb.database.db import get_or_missing, key
from kb.errors import InvalidInput
from kb.models import Policy, Status, Validity, utcnow
from push.facts.catalog import Catalog
from push.facts.sheet import FactSheet, sheet_for
from push.firms.models import Firm
from push.guides.calculator import Calculator, Estimate
from push.guides.models import Guide, GuideMode
from push.guides.rules import rules_message, validate_rules


class GuideDraft(BaseModel):
    """A guide as its department drafts it; ``rules`` are checked against the fact catalog."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(default="申兑指南", max_length=300)
    mode: GuideMode = GuideMode.ORDINARY
    promised_days: int | None = Field(default=None, ge=0, le=365)
    beneficiaries: str = Field(default="", max_length=2000)
    materials: list[str] = Field(default_factory=list, max_length=50)
    where: str = Field(default="", max_length=300)
    phone: str = Field(default="", max_length=50)
    rules: dict

    @field_validator("materials", mode="before")
    @classmethod
    def _materials(cls, v: object) -> object:
        if isinstance(v, str):
            return [x.strip() for x in v.replace("；", "\n").splitlines() if x.strip()]
        return v


def validate_guide(data: dict, catalog: Catalog | None = None) -> dict:
    """The guide draft checked (rules included); InvalidInput naming each bad field."""
    try:
        draft = GuideDraft.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"申兑指南有误：{rules_message(exc)}") from None
    rules = validate_rules(draft.rules, catalog=catalog, prefix="rules")
    if draft.mode in (GuideMode.DIRECT, GuideMode.FAST) and draft.promised_days is None:
        raise InvalidInput("promised_days: 免申即享、快申快享须写明承诺兑现的工作日数")
    return draft.model_dump(mode="json") | {"rules": rules.model_dump(mode="json", exclude_none=True)}


def save_guide(*, session: Session, policy_id: int, data: dict, names: dict[str, str] | None = None,
               ) -> Guide:
    """Publish (or replace) a policy's guide after checking it; the previous one is replaced."""
    policy = get_or_missing(session, Policy, policy_id, f"没有编号为 {policy_id} 的政策")
    clean = validate_guide(data, Catalog.load(session))
    guide = session.exec(select(Guide).where(Guide.policy_id == policy_id)).first()
    if guide is None:
        guide = Guide(policy_id=policy_id, version=0)
    guide.department_id = policy.department_id
    for name in ("mode", "promised_days", "beneficiaries", "materials", "where", "phone", "rules"):
        setattr(guide, name, clean[name])
    names = names or {}
    guide.drafter, guide.reviewer, guide.publisher = (names.get("drafter"), names.get("reviewer"),
                                                      names.get("publisher"))
    guide.version += 1
    guide.published_at = utcnow()
    session.add(guide)
    session.flush()
    return guide


def guide_of(*, session: Session, policy_id: int) -> Guide | None:
    """A policy's published guide, if it has one."""
    return session.exec(select(Guide).where(Guide.policy_id == policy_id)).first()


def calculator_for(guide: Guide, policy: Policy, catalog: Catalog) -> Calculator:
    """The calculator of a stored guide (its rules were checked when saved)."""
    rules = validate_rules(guide.rules, catalog=catalog)
    return Calculator(rules, catalog, policy_id=policy.id, title=policy.title, mode=guide.mode)


def live_guides(session: Session) -> list[tuple[Policy, Guide]]:
    """Published, valid policies with a guide, by policy id."""
    rows = session.exec(select(Policy, Guide).join(Guide, col(Guide.policy_id) == col(Policy.id))
                        .where(Policy.status == Status.PUBLISHED, Policy.validity == Validity.VALID)
                        .order_by(col(Policy.id)))
    return list(rows.all())


def default_year(today: date | None = None) -> int:
    """The application year: this year."""
    return (today or clock.county_today()).year


def estimates(*, session: Session, sheet: FactSheet, qualifications: set[str] | frozenset[str],
              year: int) -> list[Estimate]:
    """The calculator over every live guide for one firm's facts."""
    catalog = Catalog.load(session)
    return [calculator_for(g, p, catalog).estimate(sheet, frozenset(qualifications), year)
            for p, g in live_guides(session)]


def calc_firm(*, session: Session, firm: Firm, year: int) -> list[Estimate]:
    """Every live guide for a registered firm, its stored facts and qualifications."""
    sheet = sheet_for(session=session, firm_id=key(firm))
    return estimates(session=session, sheet=sheet, qualifications=set(firm.qualifications or []),
                     year=year)


def guide_calculators(session: Session, policy_id: int | None = None) -> dict[int, Calculator]:
    """Calculators of the published guides (of one policy, if given), by policy id."""
    catalog = Catalog.load(session)
    query = select(Policy, Guide).join(Guide, col(Guide.policy_id) == col(Policy.id))
    if policy_id is not None:
        query = query.where(Policy.id == policy_id)
    return {key(p): calculator_for(g, p, catalog) for p, g in session.exec(query).all()}


class RuledSpec(Protocol):
    """What ``attach_rules`` fills in: a compiled policy (push.matching's PolicySpec)."""

    rules: Calculator | None
    year: int


def attach_rules(spec: RuledSpec, calc: Calculator | None, today: date) -> None:
    """Give a compiled policy its guide's rules, judged in ``today``'s year."""
    spec.rules, spec.year = calc, default_year(today)
