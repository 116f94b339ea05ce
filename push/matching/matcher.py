"""Policy-firm matching: hard gates explained criterion by criterion, near misses, ranking."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar, cast

from sqlmodel import Session, col, func, select

from kb.database.db import chunks, get_or_missing, key
from kb.errors import KBError, PolicyNotFound
from kb.models import Policy, Status
from kb.standards.industry import IndustryCode, parse_industry_code
from push.facts.sheet import FactSheet, sheet_for, sheets_for
from push.firms.models import Firm, FirmProfile
from push.firms.size import SIZE_LABELS, Size, SizeResult, classify
from push.guides.calculator import Calculator, Estimate
from push.guides.service import attach_rules, guide_calculators
from push.matching.columnar import FirmColumns, match_columns
from push.matching.facets import GATE_KEYS, Criterion, PolicySpec, compile_policy
from push.matching.rules import estimate_for, gate_checks, rules_criterion
from push.matching.scope import scope_score

T = TypeVar("T")


def _names(codes: tuple[IndustryCode, ...]) -> str:
    """Codes with their names, joined for a sentence."""
    return "、".join(c.label() for c in codes)


def industry_criterion(spec: PolicySpec, code: IndustryCode | None) -> Criterion:
    """Include at any level, exclusions win; a firm coded coarser than the policy is not in it."""
    key, label = "industry", "行业"
    if not spec.include and not spec.exclude:
        return Criterion(key, label, True, "不限行业")
    if code is None:
        if spec.include:
            return Criterion(key, label, False, "企业未登记行业代码", "需登记行业代码")
        return Criterion(key, label, True, "企业未登记行业代码，未发现属于排除行业")
    excluded = [c for c in spec.exclude if code.within(c)]
    if excluded:
        return Criterion(
            key, label, False,
            f"{code.label()}属于政策排除的{_names(tuple(excluded))}（排除优先）",
            f"所属行业属于政策排除的{_names(tuple(excluded))}", fixed=True,
        )  # fmt: skip
    if not spec.include:
        return Criterion(key, label, True, f"{code.label()}不在排除行业内")
    included = [c for c in spec.include if code.within(c)]
    if included:
        return Criterion(key, label, True, f"{code.label()}属于政策支持的{_names(tuple(included))}")
    finer = [c for c in spec.include if c.within(code)]
    if finer:
        return Criterion(
            key, label, False,
            f"行业代码{code.code}不够细，无法确认是否属于{_names(tuple(finer))}",
            f"需登记更细的行业代码（确认属于{'、'.join(c.code for c in finer)}）",
        )  # fmt: skip
    return Criterion(
        key, label, False,
        f"{code.label()}不在政策支持的行业（{_names(spec.include)}）内",
        f"所属行业需为{_names(spec.include)}", fixed=True,
    )  # fmt: skip


def size_criterion(spec: PolicySpec, size: SizeResult) -> Criterion:
    """The firm's size tier must be one the policy names."""
    key, label = "size", "企业规模"
    if not spec.sizes:
        return Criterion(key, label, True, "不限企业规模")
    wanted = "、".join(SIZE_LABELS[s] for s in Size if s in spec.sizes)
    if size.size in spec.sizes:
        return Criterion(
            key, label, True, f"企业为{size.label}（{size.size_industry}），政策面向{wanted}企业"
        )
    if size.size is Size.UNKNOWN:
        need = "、".join(size.missing) or "划型数据"
        return Criterion(
            key, label, False, f"无法判定企业规模：{'；'.join(size.reasons)}",
            f"需补充{need}以判定是否为{wanted}企业",
        )  # fmt: skip
    if size.size is Size.NOT_COVERED:
        return Criterion(
            key, label, False, f"企业所属行业不适用划型标准，政策限{wanted}企业",
            f"需为{wanted}企业（所属行业不适用划型）",
        )  # fmt: skip
    return Criterion(
        key, label, False, f"企业为{size.label}，政策限{wanted}企业",
        f"企业规模需为{wanted}（当前为{size.label}）",
    )  # fmt: skip


def region_criterion(spec: PolicySpec, region: str | None) -> Criterion:
    """The firm's 镇/街道 must be one the policy names."""
    key, label = "region", "区域"
    if not spec.regions:
        return Criterion(key, label, True, "不限区域")
    wanted = "、".join(sorted(spec.regions))
    if region in spec.regions:
        return Criterion(key, label, True, f"企业位于{region}，在政策范围（{wanted}）内")
    if not region:
        return Criterion(key, label, False, "企业未登记所在镇街", f"需位于{wanted}")
    return Criterion(key, label, False, f"企业位于{region}，政策限{wanted}", f"需位于{wanted}",
                     fixed=True)


def qualification_criterion(spec: PolicySpec, held: list[str]) -> Criterion:
    """The firm must hold every qualification the policy requires."""
    key, label = "qualifications", "资质"
    if not spec.qualifications:
        return Criterion(key, label, True, "无资质要求")
    have = set(held)
    lacking = [q for q in spec.qualifications if q not in have]
    if not lacking:
        return Criterion(key, label, True, f"已具备{'、'.join(spec.qualifications)}")
    return Criterion(
        key, label, False, f"政策要求{'、'.join(spec.qualifications)}，企业缺少{'、'.join(lacking)}",
        f"需为{'、'.join(lacking)}",
    )  # fmt: skip


@dataclass
class Match:
    """One policy against one firm, with every criterion explained."""

    policy_id: int | None
    title: str
    uscc: str | None
    firm_name: str | None
    criteria: list[Criterion]
    score: float | None = None  # scope score, only for policies without industry facets
    deadline: date | None = None
    estimate: Estimate | None = None  # the calculator's, when the policy has a guide

    @property
    def eligible(self) -> bool:
        """Every hard gate met."""
        return all(c.met for c in self.criteria)

    @property
    def missing(self) -> list[str]:
        """What is not met, as "what would meet it" where the criterion can say so."""
        return [c.missing or c.detail for c in self.criteria if not c.met]

    @property
    def near_miss(self) -> bool:
        """The policy is open and exactly one firm-level criterion is not met, one the firm can
        come to meet (a size, a qualification, a figure; never its industry or region)."""
        gates = [c for c in self.criteria if c.key in GATE_KEYS]
        unmet = [c for c in self.criteria if not c.met]
        return all(c.met for c in gates) and len(unmet) == 1 and not unmet[0].fixed

    @property
    def summary(self) -> str:
        """One line: 符合, 仅差：..., or 不符合：..."""
        if self.eligible:
            return "符合全部条件"
        if self.near_miss:
            return f"仅差：{self.missing[0]}"
        return f"不符合：{'；'.join(self.missing)}"

    def to_dict(self) -> dict[str, object]:
        """The JSON shape printed by ``policykb match``."""
        return {
            "policy_id": self.policy_id,
            "title": self.title,
            "uscc": self.uscc,
            "firm_name": self.firm_name,
            "eligible": self.eligible,
            "near_miss": self.near_miss,
            "summary": self.summary,
            "missing": self.missing,
            "score": None if self.score is None else round(self.score, 4),
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "criteria": [c.to_dict() for c in self.criteria],
            "estimate": self.estimate.to_dict() if self.estimate else None,
        }


def firm_size(profile: FirmProfile) -> SizeResult:
    """The firm's size per the standard, from its stored indicators."""
    return classify(
        industry_code=profile.industry_code,
        employees=profile.employees,
        revenue=profile.revenue,
        assets=profile.assets,
    )


def firm_criteria(spec: PolicySpec, profile: FirmProfile,
                  size: SizeResult | None = None) -> list[Criterion]:
    """The policy's own terms for one firm, in the order they decide: industry, size, region,
    qualifications."""
    code = parse_industry_code(profile.industry_code) if profile.industry_code else None
    return [
        industry_criterion(spec, code),
        size_criterion(spec, size or firm_size(profile)),
        region_criterion(spec, profile.region),
        qualification_criterion(spec, profile.qualifications or []),
    ]


def evaluate(*, spec: PolicySpec, profile: FirmProfile, size: SizeResult | None = None,
             sheet: FactSheet | None = None, strict: bool = False) -> Match:
    """Check every criterion of ``spec`` against ``profile`` (the ORM path, one firm at a time);
    a policy with a guide adds its rules over ``sheet`` (``strict``: missing facts fail). When the
    policy's own terms refuse the firm they decide: the rules count only if they refuse too, and
    the estimate shown is the refusal (no amount, no figures asked for)."""
    facets = firm_criteria(spec, profile, size)
    criteria = [*spec.gates, *facets]
    estimate = None
    if spec.rules is not None:
        estimate = estimate_for(spec.rules, sheet, profile.qualifications, spec.year)
        rules = rules_criterion(spec.rules, estimate, strict=strict)
        refused = gate_checks(facets)
        if refused:
            estimate = estimate_for(spec.rules, sheet, profile.qualifications, spec.year, refused)
        if not (refused and rules.met):
            criteria.append(rules)
    match = Match(
        policy_id=spec.policy_id,
        title=spec.title,
        uscc=getattr(profile, "uscc", None),
        firm_name=getattr(profile, "name", None),
        criteria=criteria,
        deadline=spec.apply_to,
        estimate=estimate,
    )
    if not spec.explicit_industry and (match.eligible or match.near_miss):
        match.score = scope_score(spec.text, profile.business_scope)
    return match


def rank_key(match: Match) -> tuple[int, float, date, int]:
    """Industry-targeted policies first (soonest deadline first), then by scope score."""
    targeted = match.score is None
    return (
        0 if targeted else 1,
        -(match.score or 0.0),
        match.deadline or date.max,
        match.policy_id or 0,
    )


@dataclass
class FirmMatches:
    """The policies that apply to a firm, and the ones it nearly qualifies for."""

    size: SizeResult
    matches: list[Match] = field(default_factory=list)
    near_misses: list[Match] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # policies whose facets could not be read
    policies: dict[int, Policy] = field(default_factory=dict)


def policies_for_firm(*, session: Session, profile: FirmProfile, today: date,
                      sheet: FactSheet | None = None) -> FirmMatches:
    """Every open published policy the firm qualifies for, plus near misses, ranked; a registered
    firm is judged on its stored facts, a typed profile on ``sheet`` (missing facts then only
    noted)."""
    size = firm_size(profile)
    result = FirmMatches(size=size)
    firm_id: int | None = getattr(profile, "id", None)  # a registered firm's; a visitor has none
    strict = False
    if firm_id is not None and sheet is None:
        sheet, strict = sheet_for(session=session, firm_id=firm_id), True
    calculators = guide_calculators(session)
    for policy in session.exec(select(Policy).where(Policy.status == Status.PUBLISHED)):
        try:
            spec = compile_policy(policy, today)
        except KBError as exc:
            result.skipped.append(exc.message)
            continue
        if not spec.open:
            continue
        attach_rules(spec, calculators.get(key(policy)), today)
        match = evaluate(spec=spec, profile=profile, size=size, sheet=sheet, strict=strict)
        if match.eligible:
            result.matches.append(match)
        elif match.near_miss:
            result.near_misses.append(match)
        else:
            continue
        result.policies[key(policy)] = policy
    result.matches.sort(key=rank_key)
    result.near_misses.sort(key=rank_key)
    return result


def get_policy(*, session: Session, policy_id: int) -> Policy:
    """The policy with that id; raises ``PolicyNotFound``."""
    return get_or_missing(session, Policy, policy_id, f"没有编号为{policy_id}的政策",
                          error=PolicyNotFound)


def firms_by_id(*, session: Session, ids: list[int]) -> list[Firm]:
    """Firms in the order of ``ids``, fetched in chunks."""
    found: dict[int, Firm] = {}
    for chunk in chunks(ids):
        found.update((key(f), f) for f in session.exec(select(Firm).where(col(Firm.id).in_(chunk))))
    return [found[i] for i in ids if i in found]


@dataclass
class PolicyMatches:
    """The firms a policy applies to (and near misses), with counts before the display limit."""

    policy: Policy
    spec: PolicySpec
    today: date
    firms_total: int
    eligible_count: int
    near_miss_count: int
    matches: list[Match] = field(default_factory=list)
    near_misses: list[Match] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """The JSON shape printed by ``policykb match --policy``."""
        return {
            "policy": {"id": self.policy.id, "title": self.policy.title},
            "date": self.today.isoformat(),
            "open": self.spec.open,
            "gates": [c.to_dict() for c in self.spec.gates],
            "ranked_by": "firm_id" if self.spec.explicit_industry else "scope_score",
            "firms_total": self.firms_total,
            "eligible_count": self.eligible_count,
            "near_miss_count": self.near_miss_count,
            "matches": [m.to_dict() for m in self.matches],
            "near_misses": [m.to_dict() for m in self.near_misses],
        }


def firms_for_policy(
    *, session: Session, policy_id: int, today: date, limit: int | None = 100
) -> PolicyMatches:
    """Firms a policy applies to: columnar gates over all firms, explanations for those shown."""
    policy = get_policy(session=session, policy_id=policy_id)
    spec = compile_policy(policy, today)
    attach_rules(spec, guide_calculators(session, policy_id).get(key(policy)), today)
    if not spec.open:  # nobody qualifies; skip loading the firms
        total = session.exec(select(func.count()).select_from(Firm)).one()
        return PolicyMatches(policy, spec, today, total, 0, 0)
    cols = FirmColumns.from_session(session)
    found = match_columns(cols, spec)
    eligible = cols.ids[found.eligible].tolist()
    near = cols.ids[found.near_miss].tolist()
    sheets: dict[int, FactSheet] = {}
    if spec.rules is not None:  # the facets passed; now the guide's conditions on the facts
        eligible, sheets = _pass_rules(session, spec.rules, spec.year, eligible)
    shown = eligible[:limit]
    if not spec.explicit_industry:  # rank every eligible firm by its scope before cutting
        scores: dict[int, float] = {}
        for chunk in chunks(eligible):
            rows = _keyed(session.exec(select(col(Firm.id), col(Firm.business_scope))
                                       .where(col(Firm.id).in_(chunk))))
            scores.update((i, scope_score(spec.text, scope)) for i, scope in rows)
        shown = sorted(eligible, key=lambda i: (-scores[i], i))[:limit]
    return PolicyMatches(
        policy=policy,
        spec=spec,
        today=today,
        firms_total=len(cols),
        eligible_count=len(eligible),
        near_miss_count=len(near),
        matches=[evaluate(spec=spec, profile=f, sheet=sheets.get(key(f)), strict=True)
                 for f in firms_by_id(session=session, ids=shown)],
        near_misses=[
            evaluate(spec=spec, profile=f, sheet=sheets.get(key(f)), strict=True)
            for f in firms_by_id(session=session, ids=near[:limit])
        ],
    )


def _keyed(rows: Iterable[tuple[int | None, T]]) -> Iterable[tuple[int, T]]:
    """Rows led by a primary key (``Firm.id``): never NULL in a stored row, though typed optional."""
    return cast(Iterable[tuple[int, T]], rows)


def _pass_rules(session: Session, calc: Calculator, year: int,
                ids: list[int]) -> tuple[list[int], dict[int, FactSheet]]:
    """The firms among ``ids`` the guide's rules pay (facts of the rule's years, counted from the
    application ``year``), and their sheets."""
    reads = calc.rules.facts()
    sheets = sheets_for(session=session, names={n for n, _ in reads},
                        years={year + y for _, y in reads}, firm_ids=ids)
    quals: dict[int, list[str]] = {}
    if any(c.qualification for c in calc.rules.all_conditions()):
        for chunk in chunks(ids):
            quals.update(_keyed(session.exec(select(col(Firm.id), col(Firm.qualifications)).where(
                col(Firm.id).in_(chunk))).all()))
    empty = FactSheet()
    kept = [i for i in ids if calc.estimate(sheets.get(i, empty), frozenset(quals.get(i, [])),
                                            year).eligible]
    return kept, sheets
