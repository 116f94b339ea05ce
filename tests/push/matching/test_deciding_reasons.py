"""The matcher and the checkup explain a policy with alternatives branch by branch, deciding reason
first (industry before size before qualifications before figures), and read facts as defined."""

from datetime import date

import pytest
from sqlmodel import Session

from kb.models import Policy
from push.facts.models import FirmFact
from push.facts.sheet import sheet_for
from push.firms.models import FirmProfile
from push.guides.demo_guides import GUIDES
from push.guides.service import attach_rules, guide_calculators, save_guide
from push.matching.checkup import checkup, typed_sheet
from push.matching.facets import compile_policy
from push.matching.firm_calc import firm_estimates
from push.matching.matcher import evaluate, policies_for_firm
from tests.push.conftest import add_firm, add_policy

DAY = date(2026, 12, 7)  # the rules read 2025's figures
EQ = "equipment_investment"
FOOD = {"industry_code": "1391", "employees": 12, "revenue": 180, "assets": 260}  # 规下, in C
SOFTWARE = {"industry_code": "6513", "employees": 85, "revenue": 3200, "assets": 2100,
            "qualifications": ["高新技术企业", "科技型中小企业"]}  # I65: not industrial


@pytest.fixture
def policies(session: Session) -> dict[str, int]:
    """金政发〔2024〕12号 (工业 C, not 25) and 金人社规〔2023〕2号, with the demo's guides."""
    tech = add_policy(session, title="金湖县推动工业企业技术改造和智能化改造的若干政策措施",
                      industries_include=["C"], industries_exclude=["25"])
    jobs = add_policy(session, title="金湖县鼓励高校毕业生来金就业创业的若干措施")
    save_guide(session=session, policy_id=tech.id, data=GUIDES["id:jh-2024-tech-01"])
    save_guide(session=session, policy_id=jobs.id, data=GUIDES["id:jh-2023-talent-02"])
    session.commit()
    return {"tech": tech.id, "jobs": jobs.id}


def visit(session: Session, profile: dict, **facts):
    """The anonymous checkup for a typed profile and figures."""
    return checkup(session=session, profile=FirmProfile(**profile), today=DAY,
                   sheet=typed_sheet(facts, [DAY.year - 1, DAY.year]))


def item(report, policy_id: int):
    return next(i for i in [*report.applicable, *report.near_misses] if i.policy_id == policy_id)


def test_a_smaller_food_processor_gets_the_6_percent_branch(session, policies):
    tech = item(visit(session, FOOD, equipment_investment=260), policies["tech"])
    assert tech.summary == "符合全部条件" and tech.amount == 15.6
    assert "按规下企业条件，新增设备投资 260万元 × 6% = 15.6万元，未超过年度上限 50万元" in tech.formula
    assert any("设备投资补助（规下企业）" in r for r in tech.reasons)


def test_without_the_figure_it_is_asked_for_it_and_never_told_to_be_larger(session, policies):
    report = visit(session, FOOD)
    tech = item(report, policies["tech"])
    assert tech in report.applicable and tech.amount is None
    assert tech.facts_missing == ["2025年新增设备投资"]
    assert not any("规模以上" in line for line in [tech.summary, *tech.reasons, *tech.missing])


def test_a_registered_smaller_firm_with_last_years_figure_missing_is_told_to_supply_it(
        session, policies):
    firm = add_firm(session, 1, **FOOD)
    session.add(FirmFact(firm_id=firm.id, name=EQ, year=2024, value={"v": 260}, source="县工信局"))
    session.commit()
    found = policies_for_firm(session=session, profile=firm, today=DAY)
    [tech] = [m for m in found.near_misses if m.policy_id == policies["tech"]]
    assert tech.summary == "仅差：需补充2025年新增设备投资（已有2024年数据）"


def test_a_software_firm_is_refused_on_its_industry_first(session, policies):
    firm = add_firm(session, 2, **SOFTWARE)
    spec = compile_policy(session.get(Policy, policies["tech"]), DAY)
    attach_rules(spec, guide_calculators(session, policies["tech"])[policies["tech"]], DAY)
    match = evaluate(spec=spec, profile=firm, sheet=sheet_for(session=session, firm_id=firm.id),
                     strict=True)
    assert [c.key for c in match.criteria if not c.met][0] == "industry"
    assert match.summary.startswith("不符合：所属行业需为C 制造业")
    assert "规模以上" not in match.summary
    assert match.estimate.missed[0].startswith("行业：6513（属于65 软件和信息技术服务业）不在政策支持的行业")
    assert match.estimate.missing == [] and match.estimate.amount is None

    [calc] = [e for e in firm_estimates(session=session, firm=firm, year=DAY.year, today=DAY)
              if e.policy_id == policies["tech"]]
    assert calc.eligible is False and calc.missing == []
    assert calc.missed == ["行业：6513（属于65 软件和信息技术服务业）不在政策支持的行业（C 制造业）内"]


def test_the_anonymous_software_firm_is_not_told_it_nearly_fits(session, policies):
    report = visit(session, SOFTWARE)
    # Its industry is what it is: 12号 is neither applicable nor "仅差一项" for it.
    assert policies["tech"] not in [i.policy_id for i in [*report.applicable, *report.near_misses]]
    match = evaluate(spec=compile_policy(session.get(Policy, policies["tech"]), DAY),
                     profile=FirmProfile(**SOFTWARE), sheet=None, strict=False)
    assert not match.near_miss and match.summary.startswith("不符合：所属行业需为C 制造业")
    assert "规模以上" not in match.summary and "设备投资" not in match.summary


def test_new_hires_are_not_graduate_hires(session, policies):
    jobs = item(visit(session, FOOD, new_jobs=5), policies["jobs"])
    assert jobs.amount is None
    assert jobs.facts_missing == ["2025年招用离校2年内未就业高校毕业生人数"]
    jobs = item(visit(session, FOOD, new_jobs=5, graduate_hires=5), policies["jobs"])
    assert jobs.amount == 0.75
    assert jobs.formula == "招用离校2年内未就业高校毕业生人数 5人 × 0.15万元/人 = 0.75万元"
