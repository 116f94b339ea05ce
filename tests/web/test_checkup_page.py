"""The 政策体检 page and API over HTTP, on the demo knowledge base."""

import pytest
from fastapi.testclient import TestClient

from tests.utils.builders import load_demo
from web.app import create_app

TODAY = "2026-11-26"


@pytest.fixture
def client(demo_engine, settings):
    with TestClient(create_app(settings)) as c:
        yield c


def test_form_page(client):
    page = client.get("/checkup")
    assert page.status_code == 200 and "政策体检" in page.text and 'name="industry_code"' in page.text


def test_profile_shows_applicable_policies_with_reasons_deadline_and_service_elements(client):
    page = client.post("/checkup", data={
        "industry_code": "3491", "employees": "120", "revenue": "8000", "region": "黎城街道",
        "qualifications": ["高新技术企业"], "today": TODAY})
    assert page.status_code == 200
    html = page.text
    assert "金湖县加快科技型企业培育的奖励办法" in html  # needs 高新技术企业, window open in Nov 2026
    assert "已具备高新技术企业" in html
    assert "申报截止：2026-12-31" in html
    assert "受理地址" in html and "咨询电话" in html
    assert "小型" in html


def test_near_miss_says_what_is_missing(client):
    page = client.post("/checkup", data={
        "industry_code": "3491", "employees": "120", "revenue": "8000", "region": "黎城街道",
        "today": TODAY})
    assert "仅差" in page.text and "高新技术企业" in page.text


def test_bad_industry_code_is_a_422_page_with_the_reason(client):
    page = client.post("/checkup", data={"industry_code": "99", "today": TODAY})
    assert page.status_code == 422
    assert "99" in page.text and "GB/T 4754" in page.text


def test_a_credit_code_alone_is_refused_whether_known_or_not(client):
    from push.matching.synthetic import make_uscc

    res = client.post("/api/checkup", json={"uscc": make_uscc(424242)})
    assert res.status_code == 422 and "企业专属链接" in res.json()["detail"]


def test_api_checkup_json(client):
    res = client.post("/api/checkup", json={"industry_code": "0111", "employees": 6,
                                            "revenue": 120, "region": "前锋镇", "today": TODAY})
    assert res.status_code == 200
    data = res.json()
    titles = [p["title"] for p in data["applicable"]]
    assert "金湖县支持家庭农场和农产品加工业高质量发展的扶持政策" in titles
    assert all(p["reasons"] for p in data["applicable"])


def test_api_ask_and_bad_input(client):
    res = client.post("/api/ask", json={"question": "大学毕业生来金湖就业有生活补贴吗"})
    assert res.status_code == 200 and res.json()["answer"]["doc_number"] == "金人社规〔2023〕2号"
    assert client.post("/api/ask", json={"question": ""}).status_code == 422
    assert client.post("/api/ask", json={"question": "问" * 2001}).status_code == 422


def test_demo_loader_is_idempotent(demo_engine):
    assert not load_demo(demo_engine).changed
