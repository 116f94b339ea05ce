"""Published policies as the public sees them: the 规范性文件 list, one policy in full, filters."""

import math
from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel
from sqlmodel import Session, col, func, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from kb.database.db import key
from kb.errors import InvalidInput, PolicyNotFound
from kb.inputs.ids import parse_id
from kb.library.clauses import clause_body, clause_context
from kb.library.docnumber import normalise_doc_brackets
from kb.library.filters import Filters
from kb.library.schemas import VALIDITY_ALIASES
from kb.models import (
    Department,
    FaqItem,
    Interpretation,
    Passage,
    PassageKind,
    Policy,
    PolicyPublic,
    Status,
    Validity,
)

MAX_PER_PAGE = 100
MAX_RELATED = 5


class PolicyRef(BaseModel):
    """A link to another policy."""

    id: int
    title: str
    doc_number: str | None = None


class PolicySummary(PolicyPublic):
    """A row of the public policy list."""

    superseded_by: PolicyRef | None = None


class Clause(BaseModel):
    """A numbered clause of the full text, in order."""

    passage_id: int
    section: str
    heading: str
    text: str
    context: str = ""  # parent headings to print above it (第一章 总则), not its own heading
    body: str = ""  # the text without the section label in front (the page prints the label once)


class InterpretationOut(BaseModel):
    """背景 / 目的 / 主要举措, further sections and who signed it off."""

    title: str | None
    background: str
    purpose: str
    measures: str
    sections: list[dict]
    drafter: str | None
    reviewer: str | None
    publisher: str | None


class FaqOut(BaseModel):
    """A curated question and answer, with who signed it off."""

    id: int
    question: str
    answer: str
    drafter: str | None = None
    reviewer: str | None = None
    publisher: str | None = None


class PolicyDetail(PolicySummary):
    """One policy in full: clauses, interpretations, FAQ and related policies."""

    drafter: str | None = None  # who signed off the published version of the policy itself
    reviewer: str | None = None
    publisher: str | None = None
    clauses: list[Clause] = []
    interpretations: list[InterpretationOut] = []
    faq: list[FaqOut] = []
    related: list[PolicySummary] = []


class PolicyPage(BaseModel):
    """One page of the policy list."""

    items: list[PolicySummary]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the list has (at least one)."""
        return max(1, math.ceil(self.total / self.per_page))


class FacetOptions(BaseModel):
    """What the filter dropdowns offer."""

    departments: list[str]
    validities: list[str]
    themes: list[str]


# --- Parsing user input -----------------------------------------------------------------


def parse_validity(values: list[str]) -> list[str]:
    """Validity labels (有效 / 失效 / 废止 / 已修订, or their English names), or InvalidInput naming the bad one."""
    out = []
    for raw in values:
        v = (raw or "").strip()
        if not v:
            continue
        if v.lower() in VALIDITY_ALIASES:
            v = VALIDITY_ALIASES[v.lower()].value
        if v not in {x.value for x in Validity}:
            allowed = "、".join(x.value for x in Validity)
            raise InvalidInput(f"validity：未知的效力状态“{v}”（可选：{allowed}）")
        out.append(v)
    return out


def department_id(*, session: Session, name: str) -> int:
    """The id of the department called ``name``, or InvalidInput naming it."""
    dept = session.exec(select(Department).where(Department.name == name.strip())).first()
    if dept is None:
        raise InvalidInput(f"department：未知的部门“{name.strip()}”")
    return key(dept)


def search_filters(*, session: Session, validity: list[str] | None = None,
                   department: str | None = None, theme: str | None = None,
                   policy: str | int | None = None) -> Filters | None:
    """The search filters a request asked for, or None when it asked for none.

    ``policy`` (a number or bulk-file id) must name a published policy, else PolicyNotFound.
    """
    for name, value in (("department", department), ("theme", theme), ("policy", policy)):
        if isinstance(value, str) and "\x00" in value:  # PostgreSQL text cannot hold it
            raise InvalidInput(f"{name}：含有无效字符（U+0000）")
    vals = parse_validity(validity or [])
    dept_ids = [department_id(session=session, name=department)] if department and department.strip() else []
    theme = (theme or "").strip() or None
    ref = str(policy or "").strip()
    policy_ids = [key(get_policy(session=session, ref=ref))] if ref else []
    if not (vals or dept_ids or theme or policy_ids):
        return None
    return Filters(validity=vals, department_ids=dept_ids, theme=theme, policy_ids=policy_ids)


def parse_date(name: str, value: str | None) -> date | None:
    """An ISO date from a query parameter, or InvalidInput saying which one is wrong."""
    if not value or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{name}：“{value}”不是有效日期（格式 YYYY-MM-DD）") from None


def parse_positive(name: str, value: str | int | None, *, default: int, maximum: int) -> int:
    """A positive whole number from a query parameter, or InvalidInput saying what is wrong."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name}：“{value}”不是整数") from None
    if not 1 <= n <= maximum:
        raise InvalidInput(f"{name}：应在 1 到 {maximum} 之间（收到 {n}）")
    return n


# --- Queries ----------------------------------------------------------------------------


def _published() -> SelectOfScalar[Policy]:
    return select(Policy).where(Policy.status == Status.PUBLISHED)


def _summaries(session: Session, policies: list[Policy]) -> list[PolicySummary]:
    dept_ids = {p.department_id for p in policies if p.department_id}
    names = {d.id: d.name for d in session.exec(
        select(Department).where(col(Department.id).in_(dept_ids)))} if dept_ids else {}
    newer_ids = {p.superseded_by_id for p in policies if p.superseded_by_id}
    newer = {p.id: p for p in session.exec(
        _published().where(col(Policy.id).in_(newer_ids)))} if newer_ids else {}
    out = []
    for p in policies:
        sup = newer.get(p.superseded_by_id)
        out.append(PolicySummary.model_validate(p.model_dump() | {
            "department": names.get(p.department_id),
            "superseded_by": PolicyRef(id=sup.id, title=sup.title, doc_number=sup.doc_number)
            if sup else None}))
    return out


def list_policies(*, session: Session, q: str | None = None, department: str | None = None,
                  validity: list[str] | None = None, theme: str | None = None,
                  issued_from: date | None = None, issued_to: date | None = None,
                  page: int = 1, per_page: int = 20, also: Sequence[str] = ()) -> PolicyPage:
    """Published policies matching the filters, newest first, one page of them.

    ``also``: other spellings of ``q`` that match too (the words it abbreviates, e.g. 电商 →
    电子商务, found by the search vocabulary).
    """
    if issued_from and issued_to and issued_from > issued_to:
        raise InvalidInput("issued_from：起始日期晚于截止日期")
    stmt = _published()
    if q and q.strip():
        # 文号 are stored with 〔〕 (ingestion normalises them); a query typed with [] 【】 （） matches.
        like = f"%{normalise_doc_brackets(q.strip())}%"
        spelt = [col(Policy.title).like(f"%{a}%") for a in also if a and a != q.strip()]
        stmt = stmt.where(or_(col(Policy.title).like(like), col(Policy.doc_number).like(like),
                              *spelt))
    if department and department.strip():
        stmt = stmt.where(Policy.department_id == department_id(session=session, name=department))
    vals = parse_validity(validity or [])
    if vals:
        stmt = stmt.where(col(Policy.validity).in_(vals))
    if issued_from:
        stmt = stmt.where(col(Policy.issue_date) >= issued_from)
    if issued_to:
        stmt = stmt.where(col(Policy.issue_date) <= issued_to)
    stmt = stmt.order_by(col(Policy.issue_date).desc(), col(Policy.id).desc())
    start = (page - 1) * per_page
    if theme and theme.strip():
        # Themes are a JSON list; filtering in Python keeps the query portable (SQLite, PostgreSQL).
        matching = [p for p in session.exec(stmt).all() if theme.strip() in p.themes]
        total, policies = len(matching), matching[start:start + per_page]
    else:
        total = session.exec(select(func.count()).select_from(stmt.order_by(None).subquery())).one()
        policies = list(session.exec(stmt.offset(start).limit(per_page)).all())
    return PolicyPage(items=_summaries(session, policies), total=total, page=page,
                      per_page=per_page)


def get_policy(*, session: Session, ref: str | int) -> Policy:
    """A published policy by its number or its bulk-file id (e.g. jh-2024-sci-01)."""
    ref = str(ref).strip()
    if ref.isascii() and ref.isdigit():
        number = parse_id(ref)
        policy = None if number is None else session.exec(
            _published().where(Policy.id == number)).first()
    else:
        policy = session.exec(_published().where(Policy.source_key == f"id:{ref}")).first()
    if policy is None:
        raise PolicyNotFound(f"没有找到编号为“{ref}”的已发布政策")
    return policy


def _related(session: Session, policy: Policy) -> list[Policy]:
    themes = set(policy.themes)
    candidates = session.exec(_published().where(Policy.id != policy.id)).all()
    scored = []
    for p in candidates:
        score = len(themes & set(p.themes)) + (1 if p.department_id == policy.department_id
                                               and policy.department_id else 0)
        if score:
            scored.append((p.validity != Validity.VALID, -score, -(p.issue_date or date.min).toordinal(),
                           p.id, p))
    return [row[-1] for row in sorted(scored, key=lambda r: r[:4])[:MAX_RELATED]]


def policy_detail(*, session: Session, ref: str | int) -> PolicyDetail:
    """One published policy with its clauses, interpretations, FAQ and related policies."""
    policy = get_policy(session=session, ref=ref)
    clauses = session.exec(select(Passage).where(
        Passage.policy_id == policy.id, Passage.kind == PassageKind.CLAUSE)
        .order_by(col(Passage.ordinal))).all()
    interps = session.exec(select(Interpretation).where(
        Interpretation.policy_id == policy.id, Interpretation.status == Status.PUBLISHED)
        .order_by(col(Interpretation.id))).all()
    faq = session.exec(select(FaqItem).where(
        FaqItem.policy_id == policy.id, FaqItem.status == Status.PUBLISHED)
        .order_by(col(FaqItem.ordinal), col(FaqItem.id))).all()
    summary = _summaries(session, [policy])[0]
    return PolicyDetail.model_validate(summary.model_dump() | {
        "clauses": [Clause(passage_id=c.id, section=c.section, heading=c.heading, text=c.text,
                           context=clause_context(c.section, c.heading),
                           body=clause_body(c.section, c.text))
                    for c in clauses],
        "interpretations": [InterpretationOut.model_validate(i.model_dump()) for i in interps],
        "drafter": policy.drafter, "reviewer": policy.reviewer, "publisher": policy.publisher,
        "faq": [FaqOut.model_validate(f.model_dump()) for f in faq],
        "related": _summaries(session, _related(session, policy)),
    })


def facet_options(*, session: Session) -> FacetOptions:
    """Departments and themes that published policies use, and the validity labels."""
    dept_names = session.exec(
        select(Department.name).join(Policy, col(Policy.department_id) == Department.id)
        .where(Policy.status == Status.PUBLISHED).group_by(Department.name)
        .order_by(func.min(Department.id))).all()
    themes: list[str] = []
    for policy_themes in session.exec(select(Policy.themes).where(
            Policy.status == Status.PUBLISHED).order_by(col(Policy.id))):
        themes.extend(t for t in policy_themes if t not in themes)
    return FacetOptions(departments=list(dept_names), validities=[v.value for v in Validity],
                        themes=themes)
