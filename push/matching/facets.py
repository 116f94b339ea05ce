"""A policy's push facets compiled once, with the policy-level gates explained."""

from dataclasses import dataclass, field
from datetime import date

from kb.errors import InvalidIndustryCode, InvalidInput
from kb.models import Audience, Policy, Status, Validity
from kb.standards.industry import IndustryCode, parse_industry_code
from push.firms.size import SIZE_LABELS, TIERS, Size
from push.guides.calculator import Calculator

# Accepted spellings of a size facet.
_SIZE_ALIASES = {
    **{s.value: s for s in (*TIERS, Size.MICRO)},
    **{SIZE_LABELS[s]: s for s in (*TIERS, Size.MICRO)},
    **{SIZE_LABELS[s][0]: s for s in (*TIERS, Size.MICRO)},
}


# The policy-level criteria, the same for every firm (the rest are the firm's own).
GATE_KEYS = ("status", "audience", "validity", "window")



@dataclass
class Criterion:
    """One criterion of a match: whether it is met, why, and what would meet it."""

    key: str  # status, audience, validity, window, industry, size, region, qualifications
    label: str  # 发布状态, 适用对象, 效力, 申报期, 行业, 企业规模, 区域, 资质
    met: bool
    detail: str
    missing: str | None = None  # shown as "仅差：<missing>" on a near miss
    # Failed on what the firm is (a known industry outside the policy's, a region outside it),
    # not on what it may come to meet: such a failure is never "仅差一项".
    fixed: bool = False

    def to_dict(self) -> dict[str, str | bool | None]:
        """The JSON shape inside a match."""
        return {
            "criterion": self.key,
            "label": self.label,
            "met": self.met,
            "detail": self.detail,
            "missing": self.missing,
        }


@dataclass
class PolicySpec:
    """What a policy asks of a firm, parsed once; shared by the ORM and columnar paths."""

    policy_id: int | None
    title: str
    include: tuple[IndustryCode, ...]
    exclude: tuple[IndustryCode, ...]
    sizes: frozenset[Size]
    regions: frozenset[str]
    qualifications: tuple[str, ...]
    gates: list[Criterion] = field(default_factory=list)  # status, audience, validity, window
    apply_to: date | None = None
    text: str = ""  # title and full text, for the scope score
    rules: Calculator | None = None  # the guide's, when the policy has one
    year: int = 0  # the application year the rules are judged in

    @property
    def open(self) -> bool:
        """Whether the policy can match anyone today (published, for firms, valid, window open)."""
        return all(c.met for c in self.gates)

    @property
    def explicit_industry(self) -> bool:
        """Whether the policy names industries; otherwise the scope score ranks firms."""
        return bool(self.include)


def _codes(policy: Policy, codes: list[str], what: str) -> tuple[IndustryCode, ...]:
    """Parse a facet's codes, naming the policy when one is invalid."""
    try:
        return tuple(parse_industry_code(c) for c in codes or [])
    except InvalidIndustryCode as exc:
        raise InvalidIndustryCode(f"政策{policy.id}的{what}：{exc.message}") from None


def _sizes(policy: Policy) -> frozenset[Size]:
    """Parse the size facet ("large" or "大型")."""
    out = set()
    for raw in policy.sizes or []:
        size = _SIZE_ALIASES.get(str(raw).strip().lower()) or _SIZE_ALIASES.get(str(raw).strip())
        if size is None:
            raise InvalidInput(
                f"政策{policy.id}的规模条件“{raw}”无法识别（应为large/medium/small/micro）"
            )
        out.add(size)
    return frozenset(out)


def _window(policy: Policy, today: date) -> Criterion:
    """The application window: a closed one blocks; an upcoming or open one (or none) passes."""
    start, end = policy.apply_from, policy.apply_to
    if start is None and end is None:
        return Criterion("window", "申报期", True, "未设申报期，常年受理")
    span = f"{start or '即日'}至{end or '长期'}"
    if start is not None and today < start:
        # An upcoming window is news a firm wants early (to prepare), so it does not block a match.
        return Criterion("window", "申报期", True,
                         f"申报期{span}，{(start - today).days}天后开始受理")
    if end is not None and today > end:
        return Criterion("window", "申报期", False, f"申报期{span}，已截止")
    left = f"，距截止还有{(end - today).days}天" if end is not None else ""
    return Criterion("window", "申报期", True, f"申报期{span}，正在受理{left}")


def _validity(policy: Policy, today: date) -> Criterion:
    """Only 有效 policies whose effective period has not ended apply."""
    validity = Validity(policy.validity)
    if validity is not Validity.VALID:
        return Criterion("validity", "效力", False, f"政策状态为“{validity.value}”")
    if policy.effective_to is not None and policy.effective_to < today:
        return Criterion("validity", "效力", False, f"有效期至{policy.effective_to}，已过期")
    until = f"，有效期至{policy.effective_to}" if policy.effective_to else ""
    return Criterion("validity", "效力", True, f"有效{until}")


def _audience(policy: Policy) -> Criterion:
    """A work notice for departments is read and searched, never offered to a firm."""
    audience = Audience(policy.audience or Audience.ENTERPRISE)
    if audience is Audience.INTERNAL:
        return Criterion("audience", "适用对象", False, "部门工作部署，不面向企业申报或推送")
    return Criterion("audience", "适用对象", True, audience.value)


def compile_policy(policy: Policy, today: date) -> PolicySpec:
    """Parse a policy's facets and evaluate its policy-level gates on ``today``."""
    published = Status(policy.status) is Status.PUBLISHED
    status = Criterion(
        "status", "发布状态", published, "已发布" if published else f"未发布（{policy.status}）"
    )
    return PolicySpec(
        policy_id=policy.id,
        title=policy.title,
        include=_codes(policy, policy.industries_include, "支持行业"),
        exclude=_codes(policy, policy.industries_exclude, "排除行业"),
        sizes=_sizes(policy),
        regions=frozenset(r.strip() for r in policy.regions or [] if r.strip()),
        qualifications=tuple(
            dict.fromkeys(q.strip() for q in policy.qualifications or [] if q.strip())
        ),
        gates=[status, _audience(policy), _validity(policy, today), _window(policy, today)],
        apply_to=policy.apply_to,
        text=f"{policy.title}\n{policy.full_text or ''}",
    )
