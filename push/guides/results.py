"""What the calculator finds for one firm: each condition's outcome, each measure's and the policy's,
with the deciding reason first.

Reasons are ordered as they decide: the policy's industry, size, region and qualifications (judged
in push.matching and handed to the calculator as gates), then the rules' own qualifications, then
their figures; a condition not met decides before a fact missing (more data would not help).

Among alternatives (an ``any`` condition, a measure's branches, the measures of a policy) the one
explained is the one that fits or, failing that, the closest: fewest conditions not met, then
fewest facts missing, then the first listed. So an alternative waiting only for data is closer
than one with a condition not met, and the firm hears what to supply, not why another way fails.
"""

from dataclasses import dataclass, field
from decimal import Decimal

DECIDING_ORDER = ("industry", "size", "region", "qualifications", "figures")


@dataclass
class Check:
    """One condition's outcome: met (True), failed (False) or unknown for lack of a fact (None)."""

    met: bool | None
    text: str  # what was found: "2025年新增设备投资 800万元 ≥ 500万元"
    missed: str | None = None  # when failed: "营收增长率 8%，需 ≥ 10%（差 2%）"
    missing: list[str] = field(default_factory=list)  # "2025年新增设备投资"
    gap: float | None = None  # how far a number is from the threshold, in the fact's unit
    kind: str = "figures"  # what it is about (DECIDING_ORDER); a group: its deciding failure's
    unmet: int = 0  # conditions not met within it (along the closest alternative); 1 for a leaf

    def __post_init__(self) -> None:
        if self.met is False and not self.unmet:
            self.unmet = 1

    @property
    def distance(self) -> tuple[int, int]:
        """How far from met: conditions not met, then facts missing."""
        return self.unmet, len(self.missing)


def deciding(checks: list[Check]) -> list[Check]:
    """The failed checks, deciding reason first (industry … figures; stable otherwise)."""
    failed = [c for c in checks if c.met is False]
    return sorted(failed, key=lambda c: DECIDING_ORDER.index(c.kind))


@dataclass
class Instalment:
    """One payment of a measure as calculated."""

    label: str
    year: int
    amount: float
    status: str  # due / pending (a fact not yet known) / failed
    conditions: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The JSON shape."""
        return self.__dict__.copy()


@dataclass
class MeasureResult:
    """One measure for one firm, along the branch that pays or the closest one (``branch``)."""

    key: str
    name: str
    eligible: bool | None
    amount: Decimal | None = None
    formula: str = ""
    checks: list[Check] = field(default_factory=list)
    instalments: list[Instalment] = field(default_factory=list)
    counted: bool = True  # False when another measure of its 就高不重复 group is higher
    note: str = ""
    branch: str | None = None  # the alternative judged, when the measure has several

    @property
    def title(self) -> str:
        """The measure's name, with the branch: 设备投资补助（规下企业）."""
        return f"{self.name}（{self.branch}）" if self.branch else self.name

    @property
    def missed(self) -> list[str]:
        """The conditions not met, deciding first (one line for a branch, naming it)."""
        out = [c.missed for c in deciding(self.checks) if c.missed]
        if out and self.branch:
            return [f"按{self.branch}条件，{'；'.join(out)}"]
        return out

    @property
    def missing(self) -> list[str]:
        """The facts needed and absent."""
        out = [m for c in self.checks for m in c.missing]
        return list(dict.fromkeys(out))

    @property
    def distance(self) -> tuple[int, int]:
        """How far from paying: conditions not met, then facts missing."""
        return sum(c.unmet for c in self.checks if c.met is False), len(self.missing)

    def to_dict(self) -> dict:
        """The JSON shape."""
        return {"key": self.key, "name": self.name, "branch": self.branch,
                "eligible": self.eligible,
                "amount": None if self.amount is None else float(self.amount),
                "formula": self.formula, "counted": self.counted, "note": self.note,
                "met": [c.text for c in self.checks if c.met], "missed": self.missed,
                "missing": self.missing, "instalments": [i.to_dict() for i in self.instalments]}


@dataclass
class Estimate:
    """What a firm can expect from one policy in one application year."""

    policy_id: int | None
    title: str
    year: int
    measures: list[MeasureResult]
    amount: Decimal | None
    formula: str
    per_year: dict[int, Decimal]
    policy_checks: list[Check] = field(default_factory=list)  # policy-level; gates that refused
    mode: str = "ordinary"

    @property
    def eligible(self) -> bool | None:
        """True when some measure pays; None when only missing facts stand in the way."""
        if any(m.eligible and m.counted for m in self.measures):
            return True
        if any(m.eligible is None for m in self.measures):
            return None
        return False

    @property
    def missed(self) -> list[str]:
        """What refuses the firm, deciding reason first: the policy-level conditions not met; else,
        when no measure pays or waits for data, the measures' misses, the closest measure first."""
        out = [c.missed for c in deciding(self.policy_checks) if c.missed]
        if not out and self.eligible is False:
            ranked = sorted(self.measures, key=lambda m: m.distance)
            out = [t for m in ranked for t in m.missed]
        return list(dict.fromkeys(out))

    @property
    def missing(self) -> list[str]:
        """Facts needed and absent for what may still pay: none once a policy-level condition
        fails, none of a measure already refused (supplying them would change nothing)."""
        if any(c.met is False for c in self.policy_checks):
            return []
        out = [m for c in self.policy_checks for m in c.missing]
        out += [x for m in self.measures if m.eligible is not False for x in m.missing]
        return list(dict.fromkeys(out))

    @property
    def near_miss(self) -> str | None:
        """The one condition missed, when a single failure and no missing fact keeps a measure
        from paying (the closest measure, along its closest branch)."""
        if self.eligible is not False:
            return None
        policy_failed = [c for c in self.policy_checks if c.met is False]
        if any(c.met is None for c in self.policy_checks) or len(policy_failed) > 1:
            return None
        for m in sorted(self.measures, key=lambda m: m.distance):
            failed = [c for c in m.checks if c.met is False]
            unknown = [c for c in m.checks if c.met is None]
            if len(failed) == 1 and failed[0].unmet == 1 and not unknown:
                return m.missed[0] if m.missed else None
        return None

    @property
    def instalments(self) -> list[Instalment]:
        """Every counted measure's instalments."""
        return [i for m in self.measures if m.eligible and m.counted for i in m.instalments]

    def to_dict(self) -> dict:
        """The JSON shape of ``policykb calc``."""
        return {"policy_id": self.policy_id, "title": self.title, "year": self.year,
                "mode": self.mode, "eligible": self.eligible,
                "amount": None if self.amount is None else float(self.amount),
                "formula": self.formula,
                "instalments": [i.to_dict() for i in self.instalments],
                "per_year": {str(y): float(a) for y, a in sorted(self.per_year.items())},
                "missed": self.missed, "near_miss": self.near_miss, "missing": self.missing,
                "measures": [m.to_dict() for m in self.measures]}
