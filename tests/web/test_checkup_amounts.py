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


def test_below_one_threshold_the_other_measure_pays_and_below_both_is_a_near_miss(client):
    page = client.post("/checkup", data=FIRM | {"equipment_investment": "250"})
    assert "预计可享：<strong>15万元</strong>" in page.text  # 规下 6%, 就高不重复 with 规上
    page = client.post("/checkup", data=FIRM | {"equipment_investment": "150"})
    assert "仅差：新增设备投资 150万元，需 ≥ 300万元（差 150万元）" in page.text


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
