"""The policy calculator on hand-made rules: amounts, formulas, instalments and missed conditions."""

import pytest

from kb.errors import InvalidInput
from push.facts.catalog import BUILTIN, Catalog, Fact
from push.facts.models import FactType
from push.facts.sheet import FactSheet
from push.guides.calculator import Calculator
from push.guides.rules import validate_rules

pytestmark = pytest.mark.no_database  # pure logic: the SQLite run covers it

CATALOG = Catalog({**BUILTIN, "export_firm": Fact("export_firm", "出口企业", FactType.BOOL)})
Y = 2026  # application year; 技改 reads the year before

EQ = "equipment_investment"
RULES = {
    "tech": {"measures": [{
        "key": "equipment", "name": "设备投资补助",
        "conditions": [{"fact": EQ, "op": ">=", "value": 500, "year": -1}],
        "benefit": {"kind": "rate", "fact": EQ, "year": -1, "rate": 6, "cap": 200}}]},
    "floor": {"measures": [{
        "key": "rd", "name": "研发补助", "conditions": [{"fact": "rd_expense", "op": ">=", "value": 20}],
        "benefit": {"kind": "rate", "fact": "rd_expense", "rate": 10, "floor": 5, "cap": 50}}]},
    "person": {"measures": [{
        "key": "jobs", "name": "吸纳就业补贴", "conditions": [{"fact": "new_jobs", "op": ">=", "value": 5}],
        "benefit": {"kind": "per_person", "fact": "new_jobs", "per": 0.2, "cap": 10}}]},
    "tiers": {"measures": [{
        "key": "scale", "name": "营收上台阶奖励",
        "benefit": {"kind": "tiers", "fact": "revenue", "tiers": [
            {"min": 1000, "amount": 5}, {"min": 5000, "amount": 20}, {"min": 10000, "rate": 0.5}]}}]},
    "hitech": {"conditions": [{"qualification": "高新技术企业"}], "measures": [{
        "key": "first", "name": "首次认定奖励", "benefit": {"kind": "fixed", "amount": 30},
        "instalments": [
            {"label": "认定当年", "amount": 15},
            {"label": "认定次年营收增长10%以上", "amount": 15, "offset": 1,
             "conditions": [{"fact": "revenue_growth", "op": ">=", "value": 10, "year": 1}]}]}]},
    "excl": {"measures": [
        {"key": "a", "name": "设备补助", "conditions": [{"fact": EQ, "op": ">=", "value": 100}],
         "benefit": {"kind": "rate", "fact": EQ, "rate": 1}},
        {"key": "b", "name": "重大项目奖励", "conditions": [{"fact": EQ, "op": ">=", "value": 3000}],
         "benefit": {"kind": "fixed", "amount": 50}}],
        "combine": {"exclusive": [["a", "b"]]}},
    "total": {"measures": [
        {"key": "a", "name": "设备补助", "conditions": [{"fact": EQ, "op": ">=", "value": 300}],
         "benefit": {"kind": "rate", "fact": EQ, "rate": 8}},
        {"key": "b", "name": "重大项目奖励", "conditions": [{"fact": EQ, "op": ">=", "value": 5000}],
         "benefit": {"kind": "fixed", "amount": 50}}],
        "combine": {"total_cap": {"rate": 8.5, "fact": EQ}}},
    "total2": {"measures": [
        {"key": "a", "name": "设备补助", "benefit": {"kind": "rate", "fact": EQ, "rate": 8}},
        {"key": "b", "name": "重大项目奖励", "conditions": [{"fact": EQ, "op": ">=", "value": 5000}],
         "benefit": {"kind": "fixed", "amount": 50}}],
        "combine": {"total_cap": {"amount": 500, "rate": 8.5, "fact": EQ}}},
    "any": {"measures": [{
        "key": "x", "name": "创新奖励", "conditions": [{"any": [
            {"fact": "rd_expense", "op": ">=", "value": 100},
            {"fact": "employees", "op": ">=", "value": 50}]}],
        "benefit": {"kind": "fixed", "amount": 10}}]},
    "bool": {"measures": [{
        "key": "x", "name": "出口奖励", "conditions": [{"fact": "export_firm", "op": "is", "value": True}],
        "benefit": {"kind": "fixed", "amount": 3}}]},
    "between": {"measures": [{
        "key": "x", "name": "小微奖励",
        "conditions": [{"fact": "employees", "op": "between", "min": 10, "max": 100}],
        "benefit": {"kind": "fixed", "amount": 3}}]},
    "share": {"measures": [{
        "key": "x", "name": "设备补助", "benefit": {"kind": "rate", "fact": EQ, "rate": 10},
        "instalments": [{"label": "首期", "share": 60}, {"label": "验收后", "share": 40, "offset": 1}]}]},
}

CASES = [  # (id, rules, facts, qualifications, amount, missed, missing)
    ("rate", "tech", {EQ: {2025: 800}}, [], 48, [], []),
    ("rate-threshold", "tech", {EQ: {2025: 500}}, [], 30, [], []),
    ("rate-below", "tech", {EQ: {2025: 499.99}}, [], None,
     ["新增设备投资 499.99万元，需 ≥ 500万元（差 0.01万元）"], []),
    ("rate-cap", "tech", {EQ: {2025: 5000}}, [], 200, [], []),
    ("rate-just-under-cap", "tech", {EQ: {2025: 3300}}, [], 198, [], []),
    ("missing", "tech", {}, [], None, [], ["2025年新增设备投资"]),
    ("wrong-year", "tech", {EQ: {2026: 900}}, [], None, [], ["2025年新增设备投资（已有2026年数据）"]),
    ("zero-is-a-figure", "tech", {EQ: {2025: 0}}, [], None,
     ["新增设备投资 0万元，需 ≥ 500万元（差 500万元）"], []),
    ("floor", "floor", {"rd_expense": {2026: 30}}, [], 5, [], []),
    ("floor-between", "floor", {"rd_expense": {2026: 200}}, [], 20, [], []),
    ("floor-cap", "floor", {"rd_expense": {2026: 600}}, [], 50, [], []),
    ("floor-below", "floor", {"rd_expense": {2026: 10}}, [], None,
     ["研发费用 10万元，需 ≥ 20万元（差 10万元）"], []),
    ("per-person", "person", {"new_jobs": {2026: 12}}, [], 2.4, [], []),
    ("per-person-cap", "person", {"new_jobs": {2026: 80}}, [], 10, [], []),
    ("per-person-below", "person", {"new_jobs": {2026: 4}}, [], None,
     ["新增就业 4人，需 ≥ 5人（差 1人）"], []),
    ("tier-none", "tiers", {"revenue": {2026: 999}}, [], None,
     ["营业收入 999万元，未达到最低档（≥ 1000万元）"], []),
    ("tier-1", "tiers", {"revenue": {2026: 1000}}, [], 5, [], []),
    ("tier-2", "tiers", {"revenue": {2026: 7000}}, [], 20, [], []),
    ("tier-rate", "tiers", {"revenue": {2026: 20000}}, [], 100, [], []),
    ("instalments-both", "hitech", {"revenue_growth": {2027: 12}}, ["高新技术企业"], 30, [], []),
    ("instalments-pending", "hitech", {}, ["高新技术企业"], 30, [], []),
    ("instalments-second-fails", "hitech", {"revenue_growth": {2027: 8}}, ["高新技术企业"], 15, [], []),
    ("qualification-missed", "hitech", {}, [], None, ["需为高新技术企业"], []),
    ("exclusive-one", "excl", {EQ: {2026: 1000}}, [], 10, [], []),
    ("exclusive-fixed-higher", "excl", {EQ: {2026: 3000}}, [], 50, [], []),
    ("exclusive-rate-higher", "excl", {EQ: {2026: 8000}}, [], 80, [], []),
    ("total-under", "total", {EQ: {2026: 1000}}, [], 80, [], []),
    ("total-rate-cap", "total", {EQ: {2026: 6000}}, [], 510, [], []),
    ("total-amount-cap", "total2", {EQ: {2026: 10000}}, [], 500, [], []),
    ("total-cap-missing", "total2", {}, [], None, [], ["2026年新增设备投资"]),
    ("any-first", "any", {"rd_expense": {2026: 150}}, [], 10, [], []),
    ("any-second", "any", {"rd_expense": {2026: 50}, "employees": {2026: 60}}, [], 10, [], []),
    ("any-none", "any", {"rd_expense": {2026: 50}, "employees": {2026: 20}}, [], None,
     ["需满足其一，最接近的一项：研发费用 50万元，需 ≥ 100万元（差 50万元）"], []),  # a tie: the first
    ("any-unknown", "any", {"employees": {2026: 20}}, [], None, [], ["2026年研发费用"]),
    ("yes", "bool", {"export_firm": {2026: True}}, [], 3, [], []),
    ("no", "bool", {"export_firm": {2026: False}}, [], None, ["出口企业为“否”，需为“是”"], []),
    ("range-in", "between", {"employees": {2026: 100}}, [], 3, [], []),
    ("range-out", "between", {"employees": {2026: 150}}, [], None,
     ["从业人员 150人，需在10人至100人之间（差 50人）"], []),
    ("shares", "share", {EQ: {2026: 333.33}}, [], 33.33, [], []),
]


def estimate(rules: str, facts: dict, quals: list[str], year: int = Y):
    """The calculator's estimate for one hand-made case."""
    calc = Calculator(validate_rules(RULES[rules], catalog=CATALOG), CATALOG, policy_id=1)
    return calc.estimate(FactSheet.of(facts), set(quals), year)


@pytest.mark.parametrize(("rules", "facts", "quals", "amount", "missed", "missing"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_amounts_and_missed_conditions(rules, facts, quals, amount, missed, missing):
    e = estimate(rules, facts, quals)
    assert (None if e.amount is None else float(e.amount)) == amount
    assert e.eligible is (True if amount is not None else (None if missing else False))
    assert e.missed == missed
    assert e.missing == missing


def test_formula_in_words_and_figures():
    assert estimate("tech", {EQ: {2025: 800}}, []).formula == (
        "新增设备投资 800万元 × 6% = 48万元，未超过年度上限 200万元")
    assert estimate("tech", {EQ: {2025: 5000}}, []).formula == (
        "新增设备投资 5000万元 × 6% = 300万元，超过年度上限 200万元，按 200万元")
    assert estimate("floor", {"rd_expense": {2026: 30}}, []).formula == (
        "研发费用 30万元 × 10% = 3万元，未超过年度上限 50万元，低于保底 5万元，按 5万元")
    assert estimate("person", {"new_jobs": {2026: 12}}, []).formula == (
        "新增就业 12人 × 0.2万元/人 = 2.4万元，未超过年度上限 10万元")
    excl = estimate("excl", {EQ: {2026: 3000}}, [])
    assert excl.formula == ("重大项目奖励：定额 50万元；"
                            "重大项目奖励 50万元与设备补助 30万元就高不重复，取50万元")
    assert [m.note for m in excl.measures] == ["与“重大项目奖励”就高不重复，不计", ""]
    total = estimate("total", {EQ: {2026: 6000}}, [])
    assert total.formula.endswith(
        "合计 530万元；超过累计上限（新增设备投资 6000万元 × 8.5% = 510万元），按 510万元")


def test_instalments_per_year_and_their_conditions():
    e = estimate("hitech", {"revenue_growth": {2027: 8}}, ["高新技术企业"])
    assert [(i.year, i.amount, i.status) for i in e.instalments] == [
        (2026, 15, "due"), (2027, 15, "failed")]
    assert e.instalments[1].conditions == ["营收增长率 8%，需 ≥ 10%（差 2%）"]
    assert {y: float(a) for y, a in e.per_year.items()} == {2026: 15}
    pending = estimate("hitech", {}, ["高新技术企业"])
    assert [i.status for i in pending.instalments] == ["due", "pending"]
    assert pending.instalments[1].conditions == ["缺少2027年营收增长率"]
    assert {y: float(a) for y, a in pending.per_year.items()} == {2026: 15, 2027: 15}
    shares = estimate("share", {EQ: {2026: 333.33}}, [])
    assert [i.amount for i in shares.instalments] == [20.0, 13.33]  # the last takes the rounding


def test_a_total_cap_cuts_the_latest_year_first():
    e = estimate("total2", {EQ: {2026: 10000}}, [])
    assert {y: float(a) for y, a in e.per_year.items()} == {2026: 500}


def test_near_miss_names_the_one_condition_and_by_how_much():
    assert estimate("tech", {EQ: {2025: 450}}, []).near_miss == (
        "新增设备投资 450万元，需 ≥ 500万元（差 50万元）")
    assert estimate("tech", {}, []).near_miss is None  # missing is not a near miss
    assert estimate("tech", {EQ: {2025: 800}}, []).near_miss is None


def test_the_year_argument_moves_every_fact_year():
    assert float(estimate("tech", {EQ: {2024: 800}}, [], year=2025).amount) == 48
    assert estimate("tech", {EQ: {2024: 800}}, [], year=2026).amount is None


BAD = [  # (rules, the field named, words in the message)
    ({"measures": [{"key": "a", "name": "x", "benefit": {"kind": "rate", "fact": "equip", "rate": 6}}]},
     "measures.0.benefit.fact", "未知的事实“equip”"),
    ({"measures": [{"key": "a", "name": "x", "conditions": [{"fact": "profit", "op": ">", "value": 1}],
                    "benefit": {"kind": "fixed", "amount": 1}}]},
     "measures.0.conditions.0.fact", "未知的事实“profit”"),
    ({"measures": [{"key": "a", "name": "x", "benefit": {
        "kind": "rate", "fact": EQ, "rate": 6, "floor": 50, "cap": 20}}]},
     "measures.0.benefit.cap", "上限20万元低于保底50万元"),
    ({"measures": [{"key": "a", "name": "x", "benefit": {"kind": "fixed", "amount": 80}}],
      "combine": {"total_cap": {"amount": 50}}},
     "combine.total_cap.amount", "累计上限50万元低于措施“x”的80万元"),
    ({"measures": [{"key": "a", "name": "x", "benefit": {"kind": "per_person", "fact": "revenue", "per": 1}}]},
     "measures.0.benefit.fact", "单位不符"),
    ({"measures": [{"key": "a", "name": "x", "conditions": [
        {"fact": EQ, "op": ">=", "value": 5000000, "unit": "元"}], "benefit": {"kind": "fixed", "amount": 1}}]},
     "measures.0.conditions.0.unit", "单位“元”与事实“新增设备投资”的单位“万元”不符"),
    ({"measures": [{"key": "a", "name": "x", "benefit": {"kind": "fixed", "amount": 30},
                    "instalments": [{"label": "一", "amount": 15}, {"label": "二", "amount": 10}]}]},
     "measures.0.instalments", "各期金额之和25万元与奖励金额30万元不符"),
    ({"measures": [{"key": "a", "name": "x", "benefit": {"kind": "fixed", "amount": 3}}],
      "combine": {"exclusive": [["a", "zz"]]}},
     "combine.exclusive.0", "未知的措施：zz"),
    ({"measures": [{"key": "a", "name": "x", "conditions": [
        {"fact": "employees", "op": "between", "min": 100, "max": 10}],
        "benefit": {"kind": "fixed", "amount": 3}}]},
     "measures.0.conditions.0.max", "范围上限10.0小于下限100.0"),
    ({"measures": [{"key": "a", "name": "x", "benefit": {"kind": "tiers", "fact": "revenue", "tiers": [
        {"min": 5000, "amount": 20}, {"min": 1000, "amount": 5}]}}]},
     "measures.0.benefit.tiers", "从小到大"),
    ({"measures": []}, "measures", "at least 1"),
    ({"measures": [{"key": "a", "name": "x", "benefit": {"kind": "fixed", "amount": 3}, "formula": "x*2"}]},
     "measures.0.formula", "Extra inputs"),
]


@pytest.mark.parametrize(("rules", "where", "words"), BAD, ids=[b[1] + ":" + b[2][:6] for b in BAD])
def test_bad_rules_are_refused_naming_the_field(rules, where, words):
    with pytest.raises(InvalidInput) as err:
        validate_rules(rules, catalog=CATALOG)
    assert f"{where}: " in err.value.message and words in err.value.message


@pytest.mark.parametrize(("rules", "facts", "quals"), [c[1:4] for c in CASES], ids=[c[0] for c in CASES])
def test_the_quick_path_agrees_with_the_calculator(rules, facts, quals):
    from push.guides.quick import quick_amounts

    e = estimate(rules, facts, quals)
    quick = quick_amounts(validate_rules(RULES[rules], catalog=CATALOG), FactSheet.of(facts),
                          frozenset(quals), Y)
    if e.amount is None:
        assert quick is None
    else:
        amounts, total = quick
        assert total == e.amount
        assert amounts == {m.key: m.amount for m in e.measures if m.eligible and m.counted}
