"""政策体检 with the calculator: amounts and formulas for typed figures, missing ones named,
links to each policy, and an empty profile refused with what to fill in."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from kb.database.db import session_scope
from kb.models import Policy
from push.facts.catalog import define
from push.facts.models import FactType
from push.guides.demo_guides import COUNTY_FACTS, GUIDES
from push.guides.service import save_guide
from web.app import create_app

TODAY = "2026-11-26"
FIRM = {"industry_code": "3484", "employees": "400", "revenue": "26000", "region": "黎城街道",
        "qualifications": ["规模以上工业企业"], "today": TODAY}


@pytest.fixture
def client(demo_engine, settings):
    with session_scope(demo_engine) as s:
        for name, label, kind in COUNTY_FACTS:
            define(session=s, name=name, label=label, type=FactType(kind))
        policies = {p.source_key: p.id for p in s.exec(select(Policy))}
        for key, data in GUIDES.items():
            save_guide(session=s, policy_id=policies[key], data=data)
        tech = policies["id:jh-2024-tech-01"]
    with TestClient(create_app(settings)) as c:
        c.tech = tech
        yield c


def test_typed_figures_give_the_amount_and_formula_with_a_link(client):
    page = client.post("/checkup", data=FIRM | {"equipment_investment": "800"})
    assert page.status_code == 200
    assert f'href="/policies/{client.tech}"' in page.text
    assert "预计可享：<strong>64万元</strong>" in page.text
    assert "新增设备投资 800万元 × 8% = 64万元，未超过年度上限 300万元" in page.text


def test_without_the_figure_the_page_names_it_and_gives_no_amount(client):
    page = client.post("/checkup", data=FIRM)
    assert page.status_code == 200
    assert "计算金额还需：2025年新增设备投资" in page.text
    assert "预计可享：<strong>0万元" not in page.text


def test_each_firm_gets_its_own_branch_and_a_near_miss_names_it(client):
    # 第五条's 6% is for 规下 firms: a 规上 firm below 第四条's 300万 gets nothing, and is told so.
    page = client.post("/checkup", data=FIRM | {"equipment_investment": "250"})
    assert "预计可享" not in page.text.split("技术改造和智能化改造")[1].split("</article>")[0]
    assert "仅差：按规上企业条件，新增设备投资 250万元，需 ≥ 300万元（差 50万元）" in page.text
    smaller = FIRM | {"qualifications": [], "equipment_investment": "250"}
    page = client.post("/checkup", data=smaller)
    assert "预计可享：<strong>15万元</strong>" in page.text
    assert "按规下企业条件，新增设备投资 250万元 × 6% = 15万元" in page.text
    page = client.post("/checkup", data=FIRM | {"equipment_investment": "150"})
    assert "仅差：按规上企业条件，新增设备投资 150万元，需 ≥ 300万元（差 150万元）" in page.text


def test_an_empty_profile_is_refused_saying_what_to_fill_in(client):
    page = client.post("/checkup", data={"today": TODAY})
    assert page.status_code == 422
    assert "请至少填写行业代码、从业人员、营业收入" in page.text
    api = client.post("/api/checkup", json={})
    assert api.status_code == 422 and "请至少填写" in api.text


def test_the_api_takes_figures_too(client):
    body = {k: v for k, v in FIRM.items()} | {"equipment_investment": 800}
    data = client.post("/api/checkup", json=body).json()
    tech = next(i for i in data["applicable"] if i["policy_id"] == client.tech)
    assert tech["amount"] == 64 and tech["url"] == f"/policies/{client.tech}"
    bad = client.post("/api/checkup", json=FIRM | {"new_jobs": "很多"})
    assert bad.status_code == 422 and "new_jobs" in bad.text


TECH_TITLE = "金湖县推动工业企业技术改造和智能化改造的若干政策措施"
JOBS_TITLE = "金湖县鼓励高校毕业生来金就业创业的若干措施"
FOOD = {"industry_code": "1391", "employees": "12", "revenue": "180", "assets": "260",
        "region": "前锋镇", "today": "2026-12-07"}  # 规下 农副食品加工
SOFTWARE = {"industry_code": "6513", "employees": "85", "revenue": "3200", "assets": "2100",
            "qualifications": ["高新技术企业"], "today": "2026-12-07"}  # I65


def card(html: str, title: str) -> str:
    """What the checkup card of one policy says of the firm ("" when the page does not list it),
    without the policy's own service elements (惠及对象, 申报条件, ...)."""
    return next((c for c in html.split('<article class="card">') if title in c), "").split(
        "<dl>")[0]


def test_a_smaller_food_processor_is_shown_the_6_percent_branch(client):
    tech = card(client.post("/checkup", data=FOOD | {"equipment_investment": "260"}).text, TECH_TITLE)
    assert "符合全部条件" in tech and "预计可享：<strong>15.6万元</strong>" in tech
    assert "按规下企业条件，新增设备投资 260万元 × 6% = 15.6万元，未超过年度上限 50万元" in tech
    assert "规模以上" not in tech
    tech = card(client.post("/checkup", data=FOOD).text, TECH_TITLE)  # no figure: asked for it
    assert "符合全部条件" in tech and "计算金额还需：2025年新增设备投资" in tech
    assert "规模以上" not in tech


def test_a_software_firm_is_not_offered_the_industrial_policy_at_all(client):
    page = client.post("/checkup", data=SOFTWARE).text
    results = page[page.index("体检结果（"):]  # past the form, whose choices name 规模以上
    # Its industry is what it is: neither 可享受 nor 仅差一项, and no 规模以上 or figures noise.
    assert TECH_TITLE not in results
    assert "规模以上" not in results and "设备投资" not in results


def test_new_hires_are_not_read_as_graduate_hires(client):
    form = client.get("/checkup").text
    assert 'name="graduate_hires"' in form and "招用离校2年内未就业高校毕业生" in form
    jobs = card(client.post("/checkup", data=FOOD | {"new_jobs": "5"}).text, JOBS_TITLE)
    assert "计算金额还需：2025年招用离校2年内未就业高校毕业生人数" in jobs and "预计可享" not in jobs
    jobs = card(client.post("/checkup", data=FOOD | {"new_jobs": "5", "graduate_hires": "5"}).text,
                JOBS_TITLE)
    assert "预计可享：<strong>0.75万元</strong>" in jobs
    assert "招用离校2年内未就业高校毕业生人数 5人 × 0.15万元/人 = 0.75万元" in jobs
