"""Size classification per the 2017 NBS rule, at and around every bound of every industry."""

import numpy as np
import pytest

from kb.standards.industry import parse_industry_code
from push.firms.size import STANDARD, Size, classify
from push.matching.columnar import SIZE_CODES, size_codes

pytestmark = pytest.mark.no_database  # pure logic: the SQLite run covers it

# The standard's table, typed in again from enterprise-size.md: lower bounds (大型, 中型, 小型).
TABLE = {
    "农、林、牧、渔业": {"Y": (20000, 500, 50)},
    "工业": {"X": (1000, 300, 20), "Y": (40000, 2000, 300)},
    "建筑业": {"Y": (80000, 6000, 300), "Z": (80000, 5000, 300)},
    "批发业": {"X": (200, 20, 5), "Y": (40000, 5000, 1000)},
    "零售业": {"X": (300, 50, 10), "Y": (20000, 500, 100)},
    "交通运输业": {"X": (1000, 300, 20), "Y": (30000, 3000, 200)},
    "仓储业": {"X": (200, 100, 20), "Y": (30000, 1000, 100)},
    "邮政业": {"X": (1000, 300, 20), "Y": (30000, 2000, 100)},
    "住宿业": {"X": (300, 100, 10), "Y": (10000, 2000, 100)},
    "餐饮业": {"X": (300, 100, 10), "Y": (10000, 2000, 100)},
    "信息传输业": {"X": (2000, 100, 10), "Y": (100000, 1000, 100)},
    "软件和信息技术服务业": {"X": (300, 100, 10), "Y": (10000, 1000, 50)},
    "房地产开发经营": {"Y": (200000, 1000, 100), "Z": (10000, 5000, 2000)},
    "物业管理": {"X": (1000, 300, 100), "Y": (5000, 1000, 500)},
    "租赁和商务服务业": {"X": (300, 100, 10), "Z": (120000, 8000, 100)},
    "其他未列明行业": {"X": (300, 100, 10)},
}
# Codes of each size industry at every level the standard allows.
CODES = {
    "农、林、牧、渔业": ["A", "01", "0111", "05", "051"],
    "工业": ["B", "C", "D", "06", "3911", "391", "4411", "46"],
    "建筑业": ["E", "47", "5011"],
    "批发业": ["51", "5111", "512"],
    "零售业": ["52", "5211"],
    "交通运输业": ["54", "55", "56", "57", "58", "5411"],
    "仓储业": ["59", "5911", "592"],  # all of 59, as the standard file says
    "邮政业": ["60", "6010"],
    "住宿业": ["61", "6110"],
    "餐饮业": ["62", "6210"],
    "信息传输业": ["63", "64", "6311", "642"],
    "软件和信息技术服务业": ["65", "6511"],
    "房地产开发经营": ["7010", "701"],
    "物业管理": ["702", "7020"],
    "租赁和商务服务业": ["L", "71", "72", "7211"],
    "其他未列明行业": ["M", "N", "O", "R", "73", "79", "82", "85", "8511", "90",
                      "703", "7030", "709", "7090"],
}  # fmt: skip
LABEL = {Size.LARGE: 0, Size.MEDIUM: 1, Size.SMALL: 2}
TIER = [Size.LARGE, Size.MEDIUM, Size.SMALL, Size.MICRO]
FIELD = {"X": "employees", "Y": "revenue", "Z": "assets"}


def _bound_cases():
    """For each industry, tier and indicator: at the bound, just below, just above."""
    for industry, bounds in TABLE.items():
        for rank in range(3):
            for k, b in bounds.items():
                base = {FIELD[o]: bounds[o][rank] for o in bounds}  # every indicator at its bound
                for delta, expected in ((0, TIER[rank]), (-1, TIER[rank + 1]), (1, TIER[rank])):
                    values = dict(base, **{FIELD[k]: b[rank] + delta})
                    yield pytest.param(
                        industry, values, expected, id=f"{industry}-{k}={b[rank] + delta}-{rank}"
                    )
                # Money indicators: a fraction below the bound already misses it.
                if k != "X":
                    values = dict(base, **{FIELD[k]: b[rank] - 0.01})
                    yield pytest.param(industry, values, TIER[rank + 1], id=f"{industry}-{k}-0.01")


BOUND_CASES = list(_bound_cases())


@pytest.mark.parametrize(("industry", "values", "expected"), BOUND_CASES)
def test_every_bound_of_every_industry(industry, values, expected):
    for code in CODES[industry]:
        result = classify(industry_code=code, **values)
        assert result.size is expected, (code, result.reasons)
        assert result.size_industry == industry
        assert result.standard == STANDARD


def test_vectorised_twin_agrees_on_every_bound():
    rows = [(code, values, expected) for p in BOUND_CASES for code in CODES[p.values[0]]
            for values, expected in [(p.values[1], p.values[2])]]  # fmt: skip
    parsed = [parse_industry_code(code) for code, _, _ in rows]

    def level(attr):
        return np.array([int(getattr(c, attr)) if getattr(c, attr) else -1 for c in parsed])

    section = np.array(["ABCDEFGHIJKLMNOPQRST".index(c.section) for c in parsed])

    def column(name):
        return np.array([v.get(name, np.nan) for _, v, _ in rows], dtype=float)

    got = size_codes(section, level("division"), level("group"), level("klass"),
                     column("employees"), column("revenue"), column("assets"))  # fmt: skip
    assert got.tolist() == [SIZE_CODES[e] for _, _, e in rows]


@pytest.mark.parametrize(
    ("x", "expected"),
    [(299, Size.SMALL), (300, Size.MEDIUM), (999, Size.MEDIUM), (1000, Size.LARGE),
     (19, Size.MICRO), (20, Size.SMALL), (0, Size.MICRO)],
)  # fmt: skip
def test_industry_persons_with_large_revenue(x, expected):
    # Y=45000 reaches 大型, so X alone decides the tier.
    assert classify(industry_code="C", employees=x, revenue=45000).size is expected


@pytest.mark.parametrize(
    ("code", "x", "y", "expected"),
    [
        ("C", 500, 1000, Size.SMALL),  # fails 中型 on Y
        ("52", 8, 5000, Size.MICRO),  # X<10: one indicator below 小型 is enough
        ("C", 1200, 45000, Size.LARGE),
        ("C", 1200, 39999, Size.MEDIUM),
    ],
)
def test_worked_examples(code, x, y, expected):
    assert classify(industry_code=code, employees=x, revenue=y).size is expected


def test_lowest_tier_reached_not_highest():
    # X is 大型, Y only 小型: the firm is 小型, not 大型.
    result = classify(industry_code="3911", employees=5000, revenue=300)
    assert result.size is Size.SMALL
    assert any("未达中型下限Y≥2000" in r for r in result.reasons)


def test_other_industries_need_only_persons():
    result = classify(industry_code="M", employees=150)
    assert result.size is Size.MEDIUM
    assert result.size_industry == "其他未列明行业"


def _missing_cases():
    for industry, bounds in TABLE.items():
        for k in bounds:
            values = {FIELD[o]: bounds[o][0] for o in bounds}
            values[FIELD[k]] = None
            yield pytest.param(industry, values, k, id=f"{industry}-no-{k}")


@pytest.mark.parametrize(("industry", "values", "indicator"), list(_missing_cases()))
def test_missing_indicator_is_unknown_and_named(industry, values, indicator):
    name = {"X": "从业人员", "Y": "营业收入", "Z": "资产总额"}[indicator]
    result = classify(industry_code=CODES[industry][0], **values)
    assert result.size is Size.UNKNOWN
    assert result.size_industry == industry
    assert name in result.missing
    assert f"缺少{name}（{indicator}）" in result.reasons[0]


def test_unneeded_indicator_may_be_missing():
    assert classify(industry_code="E", revenue=100, assets=100).size is Size.MICRO
    assert classify(industry_code="A", revenue=600).size is Size.MEDIUM


@pytest.mark.parametrize(
    "code", ["J", "66", "6711", "68", "69", "P", "83", "8310", "84", "8411", "S", "91", "96",
             "T", "97", "53", "5311", "704", "7040"],
)  # fmt: skip
def test_uncovered_industries(code):
    result = classify(industry_code=code, employees=50, revenue=500, assets=500)
    assert result.size is Size.NOT_COVERED
    assert result.size_industry is None
    assert "不在该划型标准适用范围内" in result.reasons[0]


@pytest.mark.parametrize(
    ("code", "hint"),
    [("70", "3位或4位代码"), ("K", "3位或4位代码"), ("F", "更细的代码"), ("G", "更细的代码"),
     ("H", "更细的代码"), ("I", "更细的代码"), ("Q", "更细的代码")],
)  # fmt: skip
def test_codes_too_coarse_are_unknown(code, hint):
    result = classify(industry_code=code, employees=50, revenue=500, assets=500)
    assert result.size is Size.UNKNOWN
    assert hint in result.reasons[0]


@pytest.mark.parametrize(
    ("code", "industry"),
    [("7010", "房地产开发经营"), ("702", "物业管理"), ("703", "其他未列明行业"),
     ("709", "其他未列明行业")],
)  # fmt: skip
def test_real_estate_needs_group_or_class(code, industry):
    result = classify(industry_code=code, employees=50, revenue=500, assets=500)
    assert result.size_industry == industry


def test_no_industry_code_is_unknown():
    assert classify(industry_code=None, employees=5).size is Size.UNKNOWN


def test_result_json_shape():
    data = classify(industry_code="C", employees=500, revenue=1000).to_dict()
    assert set(data) == {"size", "size_industry", "standard", "reasons"}
    assert data["size"] == "small"
    assert data["size_industry"] == "工业"
    assert "2017" in data["standard"] and "工信部联企业〔2011〕300号" in data["standard"]
