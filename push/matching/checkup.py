"""政策体检: the policies that apply to a firm, with reasons, deadlines and service elements."""

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from kb import clock
from kb.database.db import key
from kb.errors import InvalidInput
from kb.models import Department, Policy
from kb.standards.industry import parse_industry_code
from push.facts.sheet import FactSheet
from push.firms.models import FirmProfile
from push.firms.size import SizeResult
from push.matching.matcher import FirmMatches, Match, policies_for_firm

# 政务服务要素 shown with every policy, in display order.
SERVICE_ELEMENTS = (
    ("beneficiaries", "惠及对象"),
    ("conditions", "申报条件"),
    ("fulfil_time", "兑现时限"),
    ("address", "受理地址"),
    ("phone", "咨询电话"),
)


@dataclass
class ServiceElement:
    """One 政务服务要素 of a policy; ``value`` is None when the policy does not state it."""

    key: str
    label: str
    value: str | None


@dataclass
class CheckupItem:
    """One policy on the checkup page."""

    policy_id: int
    title: str
    doc_number: str | None
    issuer: str | None
    summary: str  # 符合全部条件 / 仅差：...
    reasons: list[str]  # one line per criterion: "行业：..."
    missing: list[str]
    deadline: date | None
    days_left: int | None
    service: list[ServiceElement]
    score: float | None = None
    source_url: str | None = None
    url: str = ""  # the policy's page on this site
    amount: float | None = None  # 万元, from the guide's rules (None: no guide or facts missing)
    formula: str = ""
    instalments: list[dict[str, Any]] = field(default_factory=list)
    facts_missing: list[str] = field(default_factory=list)  # needed for an amount, never zero


@dataclass
class CheckupReport:
    """Everything the 政策体检 page shows for one firm on one day."""

    today: date
    firm: dict[str, str | list[str] | None]
    size: SizeResult
    applicable: list[CheckupItem] = field(default_factory=list)
    near_misses: list[CheckupItem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (dates as ISO strings)."""
        out = asdict(self)
        out["today"] = self.today.isoformat()
        out["size"] = self.size.to_dict()
        for item in (*out["applicable"], *out["near_misses"]):
            item["deadline"] = item["deadline"].isoformat() if item["deadline"] else None
        return out


def _service(session: Session, policy: Policy) -> list[ServiceElement]:
    """The service elements; the phone falls back to the issuing department's."""
    values = {key: getattr(policy, key) for key, _ in SERVICE_ELEMENTS}
    if not values["phone"] and policy.department_id is not None:
        department = session.get(Department, policy.department_id)
        values["phone"] = department.phone if department else None
    return [ServiceElement(key, label, values[key]) for key, label in SERVICE_ELEMENTS]


def _item(session: Session, policy: Policy, match: Match, today: date) -> CheckupItem:
    """A checkup line from a policy and its match (and the calculator's estimate, with a guide)."""
    est = match.estimate
    return CheckupItem(
        policy_id=key(policy),
        title=policy.title,
        doc_number=policy.doc_number,
        issuer=policy.issuer,
        summary=match.summary,
        reasons=[f"{c.label}：{c.detail}" for c in match.criteria],
        missing=match.missing,
        deadline=policy.apply_to,
        days_left=(policy.apply_to - today).days if policy.apply_to else None,
        service=_service(session, policy),
        score=None if match.score is None else round(match.score, 4),
        source_url=policy.source_url,
        url=f"/policies/{policy.id}",
        amount=float(est.amount) if est is not None and est.amount is not None else None,
        formula=est.formula if est is not None else "",
        instalments=[i.to_dict() for i in est.instalments] if est is not None else [],
        facts_missing=est.missing if est is not None else [],
    )


PROFILE_FIELDS = "行业代码、从业人员、营业收入、资产总额、所在镇（街道）、资质、经营范围或年度数据"


def require_profile(profile: FirmProfile, facts: dict[str, float] | None = None) -> None:
    """InvalidInput, saying what to fill in, for a profile with nothing to match on."""
    given = [profile.industry_code, profile.employees, profile.revenue, profile.assets,
             profile.region, profile.qualifications, profile.business_scope, facts]
    if not any(v not in (None, "", [], {}) for v in given):
        raise InvalidInput(f"请至少填写{PROFILE_FIELDS}中的一项（行业代码和营业收入最能决定结果）")


def typed_sheet(facts: dict[str, float], years: list[int]) -> FactSheet:
    """A visitor's figures (one per fact, the latest) for each year the rules may read."""
    return FactSheet({(name, y): v for name, v in facts.items() for y in years})


def _policy(found: FirmMatches, match: Match) -> Policy:
    """The stored policy ``match`` is about (``policies_for_firm`` keeps every one it matched)."""
    if match.policy_id is None:  # matches of stored policies carry ids; the lookup's KeyError
        raise KeyError(match.policy_id)
    return found.policies[match.policy_id]


def checkup(*, session: Session, profile: FirmProfile, today: date | None = None,
            sheet: FactSheet | None = None) -> CheckupReport:
    """Check a firm's profile (registered or just entered) against every open policy; a
    registered firm's facts are read from the database, a visitor's come as ``sheet``."""
    today = today or clock.county_today()
    found = policies_for_firm(session=session, profile=profile, today=today, sheet=sheet)
    industry = None
    if profile.industry_code:
        industry = parse_industry_code(profile.industry_code).label()
    return CheckupReport(
        today=today,
        firm={
            "uscc": getattr(profile, "uscc", None),
            "name": getattr(profile, "name", None),
            "industry": industry,
            "region": profile.region,
            "qualifications": list(profile.qualifications or []),
        },
        size=found.size,
        applicable=[_item(session, _policy(found, m), m, today) for m in found.matches],
        near_misses=[_item(session, _policy(found, m), m, today) for m in found.near_misses],
        skipped=found.skipped,
    )
