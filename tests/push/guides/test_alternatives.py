"""Conditions with alternatives: the branch that fits pays, a near miss names the closest branch,
the deciding reason comes first, and a fact is read only as the guide defines it."""

import pytest

from kb.errors import InvalidInput
from push.facts.catalog import BUILTIN, Catalog
from push.facts.sheet import FactSheet
from push.guides.calculator import Calculator, Check
from push.guides.demo_guides import GUIDES
from push.guides.quick import quick_amounts
from push.guides.rules import validate_rules

pytestmark = pytest.mark.no_database  # pure logic: the SQLite run covers it

CATALOG = Catalog(dict(BUILTIN))
Y = 2026  # application year: both guides read the year before
EQ = "equipment_investment"
ABOVE = "规模以上工业企业"
TECH = validate_rules(GUIDES["id:jh-2024-tech-01"]["rules"], catalog=CATALOG)  # 金政发〔2024〕12号
JOBS = validate_rules(GUIDES["id:jh-2023-talent-02"]["rules"], catalog=CATALOG)  # 金人社规〔2023〕2号


def tech(equipment: float | None, quals=(), gates=()):
    """The 技改 estimate for a firm with last year's equipment investment (None: not known)."""
    facts = {} if equipment is None else {EQ: {Y - 1: equipment}}
    return Calculator(TECH, CATALOG).estimate(FactSheet.of(facts), set(quals), Y, gates)


@pytest.mark.parametrize(("equipment", "quals", "amount", "branch"), [
    (260, [], 15.6, "规下企业"),  # 第五条: 6%
    (200, [], 12, "规下企业"),
    (1000, [], 50, "规下企业"),  # 60万, capped at 50万
    (800, [ABOVE], 64, "规上企业"),  # 第四条: 8%
    (5000, [ABOVE], 300, "规上企业"),  # 400万, capped at 300万
])
def test_the_branch_that_fits_pays_at_its_own_rate_and_cap(equipment, quals, amount, branch):
    e = tech(equipment, quals)
    assert e.eligible is True and float(e.amount) == amount
    [m] = e.measures
    assert m.branch == branch and m.title == f"设备投资补助（{branch}）"
    assert e.missed == [] and e.missing == []


def test_the_smaller_firms_formula_names_its_branch_rate_and_cap():
    assert tech(260).formula == ("按规下企业条件，新增设备投资 260万元 × 6% = 15.6万元，未超过年度上限 50万元；"
                                 "未超过累计上限（新增设备投资 260万元 × 35% = 91万元）")
    assert "超过年度上限 50万元，按 50万元" in tech(1000).formula


def test_without_the_figure_a_smaller_firm_is_asked_for_it_not_told_to_be_larger():
    e = tech(None)
    assert e.eligible is None  # 规下 waits only for data: closer than 规上, where a condition fails
    assert e.missed == [] and e.near_miss is None
    assert e.missing == ["2025年新增设备投资"]
    assert e.measures[0].branch == "规下企业"


@pytest.mark.parametrize(("equipment", "quals", "near_miss"), [
    (150, [], "按规下企业条件，新增设备投资 150万元，需 ≥ 200万元（差 50万元）"),  # 1 unmet vs 2
    (250, [ABOVE], "按规上企业条件，新增设备投资 250万元，需 ≥ 300万元（差 50万元）"),  # a tie: the first
    (150, [ABOVE], "按规上企业条件，新增设备投资 150万元，需 ≥ 300万元（差 150万元）"),  # 1 unmet vs 2
])
def test_a_near_miss_reports_the_closest_alternative(equipment, quals, near_miss):
    e = tech(equipment, quals)
    assert e.eligible is False and e.amount is None
    assert e.near_miss == near_miss and e.missed == [near_miss]
    assert e.missing == []


ANY = {"measures": [{"key": "x", "name": "创新奖励", "conditions": [{"any": [
    {"all": [{"qualification": "高新技术企业"}, {"fact": "rd_expense", "op": ">=", "value": 100}]},
    {"all": [{"fact": "employees", "op": ">=", "value": 50}, {"fact": "revenue", "op": ">=", "value": 2000}]},
]}], "benefit": {"kind": "fixed", "amount": 10}}]}


@pytest.mark.parametrize(("facts", "quals", "eligible", "missed", "missing"), [
    # the second alternative lacks only data: closer than the first, where a condition fails
    ({"rd_expense": {Y: 150}}, [], None, [], ["2026年从业人员", "2026年营业收入"]),
    # one unmet beats two unmet
    ({"rd_expense": {Y: 50}, "employees": {Y: 60}, "revenue": {Y: 100}}, [], False,
     ["需满足其一，最接近的一项：营业收入 100万元，需 ≥ 2000万元（差 1900万元）"], []),
    # one unmet and nothing missing beats one unmet and a fact missing
    ({"employees": {Y: 60}}, ["高新技术企业"], None, [], ["2026年研发费用"]),
    ({"rd_expense": {Y: 50}, "revenue": {Y: 100}}, ["高新技术企业"], False,
     ["需满足其一，最接近的一项：研发费用 50万元，需 ≥ 100万元（差 50万元）"], []),
])
def test_an_any_condition_is_explained_by_its_closest_alternative(facts, quals, eligible, missed,
                                                                 missing):
    calc = Calculator(validate_rules(ANY, catalog=CATALOG), CATALOG)
    e = calc.estimate(FactSheet.of(facts), set(quals), Y)
    assert (e.eligible, e.missed, e.missing) == (eligible, missed, missing)


def test_qualifications_decide_before_figures_whatever_order_the_guide_lists_them():
    rules = {"measures": [{"key": "x", "name": "设备补助", "conditions": [
        {"fact": EQ, "op": ">=", "value": 500}, {"qualification": ABOVE}],
        "benefit": {"kind": "rate", "fact": EQ, "rate": 5}}]}
    e = Calculator(validate_rules(rules, catalog=CATALOG), CATALOG).estimate(
        FactSheet.of({EQ: {Y: 100}}), set(), Y)
    assert e.missed == ["需为规模以上工业企业", "新增设备投资 100万元，需 ≥ 500万元（差 400万元）"]


def test_a_gate_the_policy_sets_decides_first_and_asks_for_no_figures():
    industry = Check(False, "行业：6513 不在C内", "行业：6513（属于65 软件和信息技术服务业）不在政策支持的行业（C 制造业）内",
                     kind="industry")
    size = Check(False, "企业规模：大型", "企业规模：企业为大型，政策限小型", kind="size")
    e = tech(None, gates=[size, industry])
    assert e.eligible is False and e.amount is None
    assert e.missed[0].startswith("行业：6513") and e.missed[1].startswith("企业规模")
    assert e.missing == [] and e.near_miss is None
    assert not any("规模以上" in m or "设备投资" in m for m in e.missed)
    assert float(tech(800, [ABOVE], gates=[Check(True, "行业：符合", kind="industry")]).amount) == 64


@pytest.mark.parametrize(("equipment", "quals"), [
    (260, []), (200, []), (1000, []), (199.99, []), (800, [ABOVE]), (250, [ABOVE]), (5000, [ABOVE]),
    (None, []), (None, [ABOVE])])
def test_the_quick_path_agrees_on_branches(equipment, quals):
    e = tech(equipment, quals)
    facts = {} if equipment is None else {EQ: {Y - 1: equipment}}
    quick = quick_amounts(TECH, FactSheet.of(facts), frozenset(quals), Y)
    assert (None if quick is None else quick[1]) == e.amount


def jobs(facts: dict):
    return Calculator(JOBS, CATALOG).estimate(FactSheet.of(facts), set(), Y)


def test_new_hires_are_not_taken_for_graduate_hires():
    e = jobs({"new_jobs": {Y - 1: 5}})
    assert e.amount is None and e.eligible is None
    assert e.missing == ["2025年招用离校2年内未就业高校毕业生人数"]


def test_graduate_hires_pay_1500_yuan_each():
    e = jobs({"new_jobs": {Y - 1: 5}, "graduate_hires": {Y - 1: 5}})
    assert float(e.amount) == 0.75
    assert e.formula == "招用离校2年内未就业高校毕业生人数 5人 × 0.15万元/人 = 0.75万元"
    assert jobs({"graduate_hires": {Y - 1: 0}}).eligible is False


def measure(**fields) -> dict:
    return {"measures": [{"key": "x", "name": "设备补助"} | fields]}


RATE = {"kind": "rate", "fact": EQ, "rate": 6}
COND = [{"fact": EQ, "op": ">=", "value": 200}]
BAD = [  # (rules, the field named, words in the message)
    (measure(any=[{"name": "规下", "conditions": COND, "benefit": RATE}]),
     "measures.0.any", "至少要有两个"),
    (measure(any=[{"name": "规下", "conditions": COND, "benefit": RATE},
                  {"name": "规下", "conditions": COND, "benefit": RATE}]),
     "measures.0.any", "分支名称重复：规下"),
    (measure(any=[{"name": "规上", "conditions": [], "benefit": RATE},
                  {"name": "规下", "conditions": COND, "benefit": RATE}]),
     "measures.0.any.0.conditions", "分支“规上”没有条件"),
    (measure(any=[{"name": "规上", "conditions": COND, "benefit": RATE},
                  {"name": "规下", "conditions": COND}]),
     "measures.0.any.1.benefit", "分支“规下”没有写 benefit"),
    (measure(benefit=RATE, any=[{"name": "规上", "conditions": COND, "benefit": RATE},
                                {"name": "规下", "conditions": COND, "benefit": RATE}]),
     "measures.0.benefit", "措施的 benefit 不会用到"),
    (measure(), "measures.0.benefit", "请写明 benefit"),
    (measure(any=[{"name": "规上", "conditions": [{"fact": "profit", "op": ">", "value": 1}],
                   "benefit": RATE}, {"name": "规下", "conditions": COND, "benefit": RATE}]),
     "measures.0.any.0.conditions.0.fact", "未知的事实“profit”"),
    (measure(any=[{"name": "规上", "conditions": COND, "benefit": {"kind": "fixed", "amount": 30}},
                  {"name": "规下", "conditions": COND, "benefit": {"kind": "fixed", "amount": 20}}],
             instalments=[{"label": "一", "amount": 15}, {"label": "二", "amount": 15}]),
     "measures.0.instalments", "各期金额之和30万元与奖励金额20万元不符"),
    (measure(conditions=[{"fact": EQ, "op": ">=", "value": 1, "held": False}], benefit=RATE),
     "measures.0.conditions.0.held", "held 只用于资质条件"),
]


@pytest.mark.parametrize(("rules", "where", "words"), BAD, ids=[b[1] + ":" + b[2][:6] for b in BAD])
def test_bad_alternatives_are_refused_naming_the_field(rules, where, words):
    with pytest.raises(InvalidInput) as err:
        validate_rules(rules, catalog=CATALOG)
    assert f"{where}: " in err.value.message and words in err.value.message


def test_the_rules_read_every_branchs_facts_and_qualifications():
    assert TECH.facts() == {(EQ, -1)}
    assert {c.qualification for c in TECH.all_conditions() if c.qualification} == {ABOVE}
