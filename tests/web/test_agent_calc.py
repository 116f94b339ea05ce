"""The agent console's policy calculator: the panel, its script, and what it shows for a USCC."""

from types import SimpleNamespace

import pytest

from push.demo import load_demo as load_push_demo
from push.matching.synthetic import make_uscc
from tests.web.staff import login, make_user


@pytest.fixture(autouse=True)
def agent(client, demo_engine, capsys):
    """The push demo's firms, facts and guides; ``client`` signed in as a hotline agent."""
    load_push_demo(SimpleNamespace(engine=demo_engine))
    capsys.readouterr()
    make_user(demo_engine, "agent1", roles=["agent"], department="县政务服务中心")
    login(client, "agent1")


def test_the_console_has_the_calculator_panel_and_its_script(client):
    page = client.get("/agent")
    assert 'id="calc-form"' in page.text and 'id="calc-uscc"' in page.text
    assert '<script src="/static/agent_calc.js" defer></script>' in page.text
    js = client.get("/static/agent_calc.js")
    assert js.status_code == 200 and "/api/calc?" in js.text and "预计可享" in js.text


def test_an_agent_gets_each_policy_with_amount_formula_instalments_and_misses(client):
    data = client.get("/api/calc", params={"uscc": make_uscc(900), "year": 2026}).json()
    assert data["name"] == "金湖智芯电子科技有限公司"
    tech = next(p for p in data["policies"] if "技术改造" in p["title"])
    assert tech["amount"] == 64.0 and "新增设备投资 800万元 × 8% = 64万元" in tech["formula"]
    first = client.get("/api/calc", params={"uscc": make_uscc(901), "year": 2026}).json()
    hitech = next(p for p in first["policies"] if p["mode"] == "direct")
    assert [(i["year"], i["amount"]) for i in hitech["instalments"]] == [(2026, 15.0), (2027, 15.0)]
    tech = next(p for p in first["policies"] if "技术改造" in p["title"])
    assert tech["amount"] == 208.0  # 2600万元 × 8%, under the 300万元 cap
    lacking = client.get("/api/calc", params={"uscc": make_uscc(906)}).json()
    tech = next(p for p in lacking["policies"] if "技术改造" in p["title"])
    assert tech["amount"] is None and tech["missing"]  # a missing fact is named, not taken as 0


@pytest.mark.parametrize(("uscc", "status", "message"), [
    ("91321000MA1XXXXXXX", 422, "校验"), (make_uscc(555), 404, "")])
def test_a_bad_or_unknown_code_is_a_clear_error(client, uscc, status, message):
    res = client.get("/api/calc", params={"uscc": uscc})
    assert res.status_code == status and message in res.json()["detail"]
