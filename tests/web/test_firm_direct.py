"""A firm's signed page shows its facts and amounts, a dispute goes to the source department's
queue; the calculator by signed link and, for staff, under /api/."""

import pytest
from sqlmodel import Session, select

from kb.database.db import session_scope
from kb.models import Department, Policy
from push.delivery.tokens import firm_token
from push.facts.models import FactDispute, FirmFact
from push.guides.demo_guides import GUIDES
from push.guides.service import default_year, save_guide
from push.matching.synthetic import make_uscc
from tests.push.push_utils import add_firms
from tests.web.staff import login, make_user


@pytest.fixture
def firm(demo_engine, web_settings):
    """A 规上 manufacturer with last year's equipment investment from 县工信局; the 技改 guide."""
    [firm_id] = add_firms(demo_engine, 1, start=700, industry_code="3484", employees=400,
                          revenue=26000, qualifications=["规模以上工业企业"])
    make_user(demo_engine, "gx-handler", roles=["handler"], department="县工业和信息化局")
    make_user(demo_engine, "kj-agent", roles=["agent"], department="县科技局")
    with session_scope(demo_engine) as s:
        dept = s.exec(select(Department.id).where(Department.name == "县工业和信息化局")).one()
        s.add(FirmFact(firm_id=firm_id, name="equipment_investment", year=default_year() - 1,
                       value={"v": 800}, source="县工业和信息化局", department_id=dept))
        tech = s.exec(select(Policy).where(Policy.source_key == "id:jh-2024-tech-01")).one()
        save_guide(session=s, policy_id=tech.id, data=GUIDES["id:jh-2024-tech-01"])
    return firm_id, firm_token(key=web_settings.signing_key(), firm_id=firm_id)


def test_the_firm_page_shows_facts_amounts_and_takes_a_dispute(public, client, demo_engine, firm):
    firm_id, token = firm
    page = public.get(f"/push/firm?token={token}")
    assert page.status_code == 200
    assert "本企业数据（一企一档）" in page.text and "800万元" in page.text and "县工业和信息化局" in page.text
    assert "预计可享：<strong>64万元</strong>" in page.text
    with Session(demo_engine) as s:
        fact_id = s.exec(select(FirmFact.id).where(FirmFact.firm_id == firm_id)).one()
    empty = public.post("/push/firm/dispute", data={"token": token, "fact_id": fact_id, "reason": " "})
    assert empty.status_code == 422 and "请说明" in empty.text
    done = public.post("/push/firm/dispute", follow_redirects=False,
                       data={"token": token, "fact_id": fact_id, "reason": "设备投资应为750万元"})
    assert done.status_code == 303
    assert "已提出异议" in public.get(f"/push/firm?token={token}").text
    other = public.post("/push/firm/dispute", data={"token": "forged", "fact_id": fact_id, "reason": "x"})
    assert other.status_code in (400, 403, 422)
    with Session(demo_engine) as s:
        [row] = s.exec(select(FactDispute)).all()
        assert row.source == "县工业和信息化局" and row.reason == "设备投资应为750万元"

    login(client, "gx-handler")
    queue = client.get("/api/facts/disputes").json()
    assert [d["reason"] for d in queue] == ["设备投资应为750万元"]


def test_other_departments_do_not_see_the_dispute(client, public, demo_engine, firm):
    firm_id, token = firm
    with Session(demo_engine) as s:
        fact_id = s.exec(select(FirmFact.id).where(FirmFact.firm_id == firm_id)).one()
    public.post("/push/firm/dispute", data={"token": token, "fact_id": fact_id, "reason": "不对"})
    login(client, "kj-agent")
    assert client.get("/api/facts/disputes").json() == []


def test_calculator_by_signed_link_and_for_staff(client, public, firm):
    firm_id, token = firm
    data = public.get(f"/api/firm/calc?token={token}").json()
    tech = next(p for p in data["policies"] if "技术改造" in p["title"])
    assert tech["amount"] == 64 and "× 8% = 64万元" in tech["formula"]
    assert data["facts"][0]["text"] == "800万元"
    assert public.get("/api/firm/calc?token=bad").status_code in (400, 403, 422)
    anonymous = public.get(f"/api/calc?uscc={make_uscc(700)}", follow_redirects=False)
    assert anonymous.status_code in (401, 403, 303)
    login(client, "kj-agent")
    staff = client.get(f"/api/calc?uscc={make_uscc(700)}").json()
    assert staff["total"] == data["total"] and staff["name"] == "企业700"


def test_a_software_firms_page_refuses_the_tech_policy_on_its_industry_first(public, demo_engine,
                                                                           web_settings, firm):
    [firm_id] = add_firms(demo_engine, 1, start=701, industry_code="6513", employees=85,
                          revenue=3200, qualifications=["高新技术企业"])
    token = firm_token(key=web_settings.signing_key(), firm_id=firm_id)
    page = public.get(f"/push/firm?token={token}").text
    tech = next(c for c in page.split('<div class="card">') if "技术改造和智能化改造" in c)
    assert ("不符合：行业：6513（属于65 软件和信息技术服务业）不在政策支持的行业（C 制造业）内"
            in tech)
    assert "规模以上" not in tech and "缺少数据" not in tech
    data = public.get(f"/api/firm/calc?token={token}").json()
    calc = next(p for p in data["policies"] if "技术改造" in p["title"])
    assert calc["missed"][0].startswith("行业：6513") and calc["missing"] == []


def test_the_review_page_shows_the_departments_overdue_guides(client, demo_engine):
    from datetime import UTC, datetime

    from kb.models import PolicyVersion

    make_user(demo_engine, "gx-reviewer", roles=["reviewer"], department="县工业和信息化局")
    with session_scope(demo_engine) as s:
        for p in s.exec(select(Policy)):
            s.add(PolicyVersion(policy_id=p.id, version=99, published_at=datetime(2020, 1, 6, tzinfo=UTC)))
    login(client, "gx-reviewer")
    page = client.get("/admin/review")
    assert page.status_code == 200 and 'id="overdue-guides"' in page.text
    assert "金湖县推动工业企业技术改造和智能化改造的若干政策措施" in page.text  # 县工信局's, no guide
    assert "金湖县加快科技型企业培育的奖励办法" not in page.text.split('id="overdue-guides"')[1]  # 科技局's
