"""Enterprise size (大型/中型/小型/微型) per the 2017 NBS rule, with reasons."""

from dataclasses import dataclass, field
from enum import StrEnum

from kb.standards.gbt4754 import divisions
from kb.standards.industry import IndustryCode, parse_industry_code

STANDARD = (
    "《统计上大中小微型企业划分办法（2017）》"
    "（阈值同《中小企业划型标准规定》工信部联企业〔2011〕300号）"
)


class Size(StrEnum):
    """A classification outcome; the first four are the tiers, largest first."""

    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"
    MICRO = "micro"
    UNKNOWN = "unknown"
    NOT_COVERED = "not_covered"


TIERS = (Size.LARGE, Size.MEDIUM, Size.SMALL)  # the tiers with lower bounds; below is micro
SIZE_LABELS = {
    Size.LARGE: "大型",
    Size.MEDIUM: "中型",
    Size.SMALL: "小型",
    Size.MICRO: "微型",
    Size.UNKNOWN: "无法判定",
    Size.NOT_COVERED: "不适用划型标准",
}


class SizeIndustry(StrEnum):
    """The 16 行业 rows of the size table."""

    AGRICULTURE = "农、林、牧、渔业"
    INDUSTRY = "工业"
    CONSTRUCTION = "建筑业"
    WHOLESALE = "批发业"
    RETAIL = "零售业"
    TRANSPORT = "交通运输业"
    WAREHOUSING = "仓储业"
    POSTAL = "邮政业"
    ACCOMMODATION = "住宿业"
    CATERING = "餐饮业"
    TELECOM = "信息传输业"
    SOFTWARE = "软件和信息技术服务业"
    REAL_ESTATE_DEV = "房地产开发经营"
    PROPERTY_MGMT = "物业管理"
    LEASING = "租赁和商务服务业"
    OTHER = "其他未列明行业"


# Indicator -> (label, unit, firm attribute).
INDICATORS = {
    "X": ("从业人员", "人", "employees"),
    "Y": ("营业收入", "万元", "revenue"),
    "Z": ("资产总额", "万元", "assets"),
}

# Lower bounds (大型, 中型, 小型) per indicator, transcribed from the standard's table.
THRESHOLDS: dict[SizeIndustry, dict[str, tuple[float, float, float]]] = {
    SizeIndustry.AGRICULTURE: {"Y": (20000, 500, 50)},
    SizeIndustry.INDUSTRY: {"X": (1000, 300, 20), "Y": (40000, 2000, 300)},
    SizeIndustry.CONSTRUCTION: {"Y": (80000, 6000, 300), "Z": (80000, 5000, 300)},
    SizeIndustry.WHOLESALE: {"X": (200, 20, 5), "Y": (40000, 5000, 1000)},
    SizeIndustry.RETAIL: {"X": (300, 50, 10), "Y": (20000, 500, 100)},
    SizeIndustry.TRANSPORT: {"X": (1000, 300, 20), "Y": (30000, 3000, 200)},
    SizeIndustry.WAREHOUSING: {"X": (200, 100, 20), "Y": (30000, 1000, 100)},
    SizeIndustry.POSTAL: {"X": (1000, 300, 20), "Y": (30000, 2000, 100)},
    SizeIndustry.ACCOMMODATION: {"X": (300, 100, 10), "Y": (10000, 2000, 100)},
    SizeIndustry.CATERING: {"X": (300, 100, 10), "Y": (10000, 2000, 100)},
    SizeIndustry.TELECOM: {"X": (2000, 100, 10), "Y": (100000, 1000, 100)},
    SizeIndustry.SOFTWARE: {"X": (300, 100, 10), "Y": (10000, 1000, 50)},
    SizeIndustry.REAL_ESTATE_DEV: {"Y": (200000, 1000, 100), "Z": (10000, 5000, 2000)},
    SizeIndustry.PROPERTY_MGMT: {"X": (1000, 300, 100), "Y": (5000, 1000, 500)},
    SizeIndustry.LEASING: {"X": (300, 100, 10), "Z": (120000, 8000, 100)},
    SizeIndustry.OTHER: {"X": (300, 100, 10)},
}

# Divisions outside the table, with the reason shown to users.
NOT_COVERED = {
    **{d: "金融业（另有金融业企业划型标准）" for d in ("66", "67", "68", "69")},
    "53": "铁路运输业", "83": "教育", "84": "卫生",
    **{d: "公共管理、社会保障和社会组织" for d in ("91", "92", "93", "94", "95", "96")},
    "97": "国际组织",
}  # fmt: skip

_BY_DIVISION: dict[str, SizeIndustry] = {
    "51": SizeIndustry.WHOLESALE, "52": SizeIndustry.RETAIL,
    **{d: SizeIndustry.TRANSPORT for d in ("54", "55", "56", "57", "58")},
    # All of 59 is 仓储业 as the standard file says; the official note lists 591 装卸搬运
    # under 交通运输业 instead (reported to the maintainers, file followed here).
    "59": SizeIndustry.WAREHOUSING, "60": SizeIndustry.POSTAL,
    "61": SizeIndustry.ACCOMMODATION, "62": SizeIndustry.CATERING,
    "63": SizeIndustry.TELECOM, "64": SizeIndustry.TELECOM, "65": SizeIndustry.SOFTWARE,
    "71": SizeIndustry.LEASING, "72": SizeIndustry.LEASING, "85": SizeIndustry.OTHER,
}  # fmt: skip
_BY_SECTION = {
    "A": SizeIndustry.AGRICULTURE, "B": SizeIndustry.INDUSTRY, "C": SizeIndustry.INDUSTRY,
    "D": SizeIndustry.INDUSTRY, "E": SizeIndustry.CONSTRUCTION, "M": SizeIndustry.OTHER,
    "N": SizeIndustry.OTHER, "O": SizeIndustry.OTHER, "R": SizeIndustry.OTHER,
}  # fmt: skip
# Real estate (70) is split by group; every other group of 70 is 其他未列明行业.
_REAL_ESTATE_GROUPS = {"701": SizeIndustry.REAL_ESTATE_DEV, "702": SizeIndustry.PROPERTY_MGMT}
_OWN_PROPERTY = "704"  # 房地产租赁经营, the 2017 successor of 自有房地产经营活动: excluded

# An outcome of resolving a code: a size industry, or the name of an uncovered industry.
Outcome = SizeIndustry | tuple[str, str]


def _division_outcome(division: str, group: str | None) -> Outcome | None:
    """The outcome for a division (and group, which only 70 needs); ``None`` when too coarse."""
    if division in NOT_COVERED:
        return ("not_covered", NOT_COVERED[division])
    if division == "70":
        if group is None:
            return None
        if group == _OWN_PROPERTY:
            return ("not_covered", "自有房地产经营活动（704 房地产租赁经营）")
        return _REAL_ESTATE_GROUPS.get(group, SizeIndustry.OTHER)
    if division in _BY_DIVISION:
        return _BY_DIVISION[division]
    return _BY_SECTION[divisions().division_section[division]]


def resolve_size_industry(code: IndustryCode) -> Outcome | None:
    """Which size industry a code falls in; ``None`` when the code is too coarse to tell."""
    if code.division is not None:
        return _division_outcome(code.division, code.group)
    outcomes = {_division_outcome(d, None) for d in divisions().section_divisions[code.section]}
    return outcomes.pop() if len(outcomes) == 1 else None


@dataclass
class SizeResult:
    """A classification with the size industry, the standard applied and the reasons."""

    size: Size
    size_industry: str | None
    standard: str = STANDARD
    reasons: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # indicator labels, e.g. ["营业收入"]

    @property
    def label(self) -> str:
        """The tier in Chinese (大型, ..., 无法判定)."""
        return SIZE_LABELS[self.size]

    def to_dict(self) -> dict:
        """The JSON shape of the CLI contract."""
        return {
            "size": self.size.value,
            "size_industry": self.size_industry,
            "standard": self.standard,
            "reasons": list(self.reasons),
        }


def _fmt(value: float) -> str:
    """A number without a pointless ".0"."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def classify(
    *,
    industry_code: str | IndustryCode | None,
    employees: int | None = None,
    revenue: float | None = None,
    assets: float | None = None,
) -> SizeResult:
    """Classify a firm: the highest tier whose every lower bound it meets, else 微型."""
    if industry_code is None or industry_code == "":
        return SizeResult(
            Size.UNKNOWN, None, reasons=["缺少行业代码，无法确定划型所属行业"], missing=["行业代码"]
        )
    code = (
        industry_code
        if isinstance(industry_code, IndustryCode)
        else parse_industry_code(industry_code)
    )
    outcome = resolve_size_industry(code)
    if outcome is None:
        need = "3位或4位代码（7010、702、703等）" if code.section == "K" else "更细的代码"
        return SizeResult(
            Size.UNKNOWN,
            None,
            reasons=[f"行业代码{code.label()}过粗，跨越多个划型行业，需提供{need}"],
            missing=["更细的行业代码"],
        )
    if isinstance(outcome, tuple):
        return SizeResult(
            Size.NOT_COVERED,
            None,
            reasons=[f"行业代码{code.label()}：{outcome[1]}不在该划型标准适用范围内"],
        )
    values = {"X": employees, "Y": revenue, "Z": assets}
    bounds = THRESHOLDS[outcome]
    missing = [f"{INDICATORS[k][0]}（{k}）" for k in bounds if values[k] is None]
    if missing:
        needed = "、".join(INDICATORS[k][0] for k in bounds)
        return SizeResult(
            Size.UNKNOWN,
            outcome.value,
            reasons=[f"{outcome.value}划型需要{needed}，缺少{'、'.join(missing)}，无法判定"],
            missing=[INDICATORS[k][0] for k in bounds if values[k] is None],
        )
    known = {k: v for k, v in values.items() if v is not None}  # every indicator bounds read
    reasons = [f"行业代码{code.label()}按{outcome.value}划型"]
    result = Size.MICRO
    for rank, tier in enumerate(TIERS):
        short = [k for k, b in bounds.items() if known[k] < b[rank]]
        if not short:
            result = tier
            break
        for k in short:
            label, unit, _ = INDICATORS[k]
            reasons.append(
                f"{label}{k}={_fmt(known[k])}{unit}，未达{SIZE_LABELS[tier]}下限"
                f"{k}≥{_fmt(bounds[k][rank])}{unit}"
            )
    if result is Size.MICRO:
        reasons.append("未同时满足小型各项下限，为微型")
    else:
        met = "、".join(
            f"{INDICATORS[k][0]}{k}={_fmt(known[k])}≥{_fmt(b[TIERS.index(result)])}"
            for k, b in bounds.items()
        )
        reasons.append(f"同时满足{SIZE_LABELS[result]}各项下限（{met}），为{SIZE_LABELS[result]}")
    return SizeResult(result, outcome.value, reasons=reasons)
