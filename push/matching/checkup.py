"""政策体检: the policies that apply to a firm, with reasons, deadlines and service elements."""

from dataclasses import asdict, dataclass, field
from datetime import date

from sqlmodel import Session

from kb.models import Department, Policy
from kb.standards.industry import parse_industry_code
from push.firms.models import FirmProfile
from push.firms.size import SizeResult
from push.matching.matcher import Match, policies_for_firm

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


@dataclass
class CheckupReport:
    """Everything the 政策体检 page shows for one firm on one day."""

    today: date
    firm: dict
    size: SizeResult
    applicable: list[CheckupItem] = field(default_factory=list)
    near_misses: list[CheckupItem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
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
    """A checkup line from a policy and its match."""
    return CheckupItem(
        policy_id=policy.id,
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
    )


def checkup(*, session: Session, profile: FirmProfile, today: date | None = None) -> CheckupReport:
    """Check a firm's profile (registered or just entered) against every open policy."""
    today = today or date.today()
    found = policies_for_firm(session=session, profile=profile, today=today)
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
        applicable=[_item(session, found.policies[m.policy_id], m, today) for m in found.matches],
        near_misses=[
            _item(session, found.policies[m.policy_id], m, today) for m in found.near_misses
        ],
        skipped=found.skipped,
    )
