"""Seeded synthetic firms and policies with a county-like spread, for the benchmark and tests."""

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from kb import clock
from kb.models import Policy, Status, Validity
from kb.standards.gbt4754 import divisions
from push.firms.models import FirmCreate
from push.firms.uscc import CHARSET, check_char
from push.matching.columnar import SECTIONS, FirmColumns

# Share of firms per section in a typical county (manufacturing and trade heavy).
SECTION_WEIGHTS = {
    "A": 4, "B": 1, "C": 28, "D": 1, "E": 6, "F": 26, "G": 4, "H": 6, "I": 3, "J": 0.5,
    "K": 2, "L": 7, "M": 4, "N": 1, "O": 4, "P": 0.5, "Q": 0.6, "R": 1.2, "S": 0.2, "T": 0.01,
}  # fmt: skip
REGIONS = [
    "城关镇", "城东街道", "城西街道", "开发区街道", "黎城街道", "塔集镇", "金南镇", "闵桥镇",
    "银涂镇", "前锋镇", "吕良镇", "涂沟镇", "陈桥镇", "卞塘镇", "戴楼街道", "新港镇",
    "高桥镇", "湖滨街道", "双沟镇", "柳树镇",
]  # fmt: skip
QUALIFICATIONS = {  # name: share of firms holding it
    "高新技术企业": 0.03, "科技型中小企业": 0.06, "专精特新中小企业": 0.015,
    "专精特新“小巨人”企业": 0.002, "创新型中小企业": 0.04, "规模以上工业企业": 0.05,
    "农业产业化龙头企业": 0.01, "省级企业技术中心": 0.005,
}  # fmt: skip
SCOPES = {  # a 经营范围 per section, for the scope score
    "A": "蔬菜、水果种植；水产养殖；农产品初加工；农业技术推广服务",
    "C": "电子元器件制造；机械设备研发、制造、销售；新材料技术研发；货物进出口",
    "E": "房屋建筑工程施工；市政公用工程施工；建筑装饰装修工程",
    "F": "日用百货、食品、五金交电销售；农副产品收购；电子商务",
    "G": "普通货物道路运输；仓储服务；装卸搬运；国内货运代理",
    "H": "住宿服务；餐饮服务；预包装食品销售",
    "I": "软件开发；信息技术咨询服务；数据处理和存储服务；互联网信息服务",
    "L": "企业管理咨询；广告设计、制作；人力资源服务；会议及展览服务",
}
_DEFAULT_SCOPE = "技术服务、技术开发、技术咨询；居民日常生活服务"
THEMES = ["技术改造", "研发投入", "稳岗就业", "融资担保", "市场开拓", "数字化转型", "节能降碳"]


def make_uscc(i: int) -> str:
    """A valid, unique 统一社会信用代码 for synthetic firm ``i``."""
    org, n = [], i
    for _ in range(9):
        n, r = divmod(n, len(CHARSET))
        org.append(CHARSET[r])
    body = f"91321{i % 1000:03d}0"[:8] + "".join(reversed(org))
    return body + check_char(body)


@dataclass
class FirmArrays:
    """Generated firms as raw arrays (NaN = indicator missing)."""

    section: np.ndarray
    division: np.ndarray
    group: np.ndarray
    klass: np.ndarray
    employees: np.ndarray
    revenue: np.ndarray
    assets: np.ndarray
    region: np.ndarray
    quals: np.ndarray

    def __len__(self) -> int:
        """The number of firms."""
        return len(self.section)

    def head(self, n: int) -> "FirmArrays":
        """The first ``n`` firms."""
        return FirmArrays(**{k: v[:n] for k, v in vars(self).items()})

    def columns(self) -> FirmColumns:
        """Columnar form with row numbers as ids."""
        return FirmColumns.from_arrays(
            ids=np.arange(len(self)), **vars(self),
            regions=REGIONS, qualification_names=list(QUALIFICATIONS),
        )  # fmt: skip

    def industry_code(self, i: int) -> str | None:
        """Firm ``i``'s code at the level it was generated with."""
        for value, width in ((self.klass[i], 4), (self.group[i], 3), (self.division[i], 2)):
            if value >= 0:
                return f"{value:0{width}d}"
        return SECTIONS[self.section[i]] if self.section[i] >= 0 else None

    def profile(self, i: int) -> FirmCreate:
        """Firm ``i`` as a registry record."""

        def num(a: np.ndarray) -> float | None:
            return None if np.isnan(a[i]) else float(a[i])

        names = list(QUALIFICATIONS)
        section = SECTIONS[self.section[i]] if self.section[i] >= 0 else ""
        return FirmCreate(
            uscc=make_uscc(i),
            name=f"测试企业{i:07d}",
            industry_code=self.industry_code(i),
            employees=None if np.isnan(self.employees[i]) else int(self.employees[i]),
            revenue=num(self.revenue),
            assets=num(self.assets),
            region=REGIONS[self.region[i]] if self.region[i] >= 0 else None,
            qualifications=[q for b, q in enumerate(names) if int(self.quals[i, 0]) >> b & 1],
            business_scope=SCOPES.get(section, _DEFAULT_SCOPE),
        )


def _divisions_and_weights() -> tuple[np.ndarray, np.ndarray]:
    """Every division with its share (section weight spread evenly over its divisions)."""
    table = divisions()
    divs, weights = [], []
    for section, members in table.section_divisions.items():
        for d in members:
            divs.append(int(d))
            weights.append(SECTION_WEIGHTS[section] / len(members))
    w = np.array(weights)
    return np.array(divs), w / w.sum()


def generate_firms(n: int, seed: int = 7) -> FirmArrays:
    """``n`` firms with a realistic spread of industries, sizes, regions and qualifications."""
    rng = np.random.default_rng(seed)
    divs, weights = _divisions_and_weights()
    division = rng.choice(divs, size=n, p=weights).astype(np.int16)
    sec_of = {int(d): SECTIONS.index(s) for d, s in divisions().division_section.items()}
    lut = np.full(100, -1, dtype=np.int8)
    lut[list(sec_of)] = list(sec_of.values())
    section = lut[division]
    third = rng.integers(1, 10, size=n)
    third[division == 70] = rng.choice([1, 2, 3, 4, 9], size=int((division == 70).sum()),
                                       p=[0.35, 0.3, 0.15, 0.1, 0.1])  # fmt: skip
    group = (division.astype(np.int32) * 10 + third).astype(np.int16)
    klass = (group.astype(np.int32) * 10 + rng.integers(0, 10, size=n)).astype(np.int16)
    level = rng.random(n)  # 3% section only, 10% division, 15% group, the rest class
    klass[level < 0.28] = -1
    group[level < 0.13] = -1
    division[level < 0.03] = -1
    section[level < 0.005] = -1  # no industry code at all
    employees = np.clip(np.round(np.exp(rng.normal(1.9, 1.3, n))), 1, 60000)
    revenue = np.round(employees * np.exp(rng.normal(np.log(35), 0.9, n)), 1)
    assets = np.round(revenue * np.exp(rng.normal(0.0, 0.7, n)), 1)
    for arr in (employees, revenue, assets):
        arr[rng.random(n) < 0.03] = np.nan
    p = 1 / np.arange(1, len(REGIONS) + 1) ** 0.8
    region = rng.choice(len(REGIONS), size=n, p=p / p.sum()).astype(np.int16)
    region[rng.random(n) < 0.01] = -1
    quals = np.zeros((n, 1), dtype=np.uint64)
    for b, share in enumerate(QUALIFICATIONS.values()):
        quals[rng.random(n) < share, 0] |= np.uint64(1 << b)
    return FirmArrays(section, division, group, klass, employees, revenue, assets, region, quals)


def _random_code(rng: np.random.Generator, divs: np.ndarray, weights: np.ndarray) -> str:
    """A facet code at a random level, drawn with the firms' industry spread."""
    d = int(rng.choice(divs, p=weights))
    level = rng.random()
    if level < 0.35:
        return divisions().division_section[f"{d:02d}"]
    if level < 0.8:
        return f"{d:02d}"
    group = f"{d:02d}{rng.integers(1, 10)}"
    return group if level < 0.92 else f"{group}{rng.integers(0, 10)}"


def generate_policies(n: int, seed: int = 7, today: date | None = None) -> list[Policy]:
    """``n`` policies with facets, about half with an application window."""
    rng = np.random.default_rng(seed + 1)
    today = today or clock.county_today()
    divs, weights = _divisions_and_weights()
    size_sets = [["small", "micro"], ["medium", "small", "micro"], ["micro"], ["large", "medium"]]
    policies = []
    for i in range(n):
        include = [_random_code(rng, divs, weights) for _ in range(rng.integers(1, 4))]
        include = include if rng.random() < 0.6 else []
        exclude = [_random_code(rng, divs, weights)] if rng.random() < 0.15 else []
        theme = THEMES[i % len(THEMES)]
        window = rng.random() < 0.5
        start = today - timedelta(days=int(rng.integers(0, 90)))
        policies.append(
            Policy(
                id=i + 1,
                source_key=f"synthetic/{i}",
                title=f"关于支持企业{theme}的若干措施（{i + 1}）",
                full_text=f"鼓励企业{theme}。" + SCOPES[list(SCOPES)[i % len(SCOPES)]],
                industries_include=include,
                industries_exclude=exclude,
                sizes=size_sets[rng.integers(len(size_sets))] if rng.random() < 0.5 else [],
                regions=list(rng.choice(REGIONS, size=rng.integers(1, 4), replace=False))
                if rng.random() < 0.2
                else [],
                qualifications=[list(QUALIFICATIONS)[rng.integers(len(QUALIFICATIONS))]]
                if rng.random() < 0.3
                else [],
                status=Status.PUBLISHED if rng.random() < 0.97 else Status.DRAFT,
                validity=Validity.VALID if rng.random() < 0.97 else Validity.EXPIRED,
                apply_from=start if window else None,
                apply_to=start + timedelta(days=int(rng.integers(20, 200))) if window else None,
                beneficiaries="符合条件的企业",
                phone="0517-12345678",
            )
        )
    return policies
