"""政策体检 without industry codes: the firm names its industry, the page finds or asks which."""

import re

import pytest
from fastapi.testclient import TestClient

from tests.web.test_error_pages import visible
from web.app import create_app

TODAY = "2026-11-26"


@pytest.fixture
def client(demo_engine, settings):
    with TestClient(create_app(settings)) as c:
        yield c


def test_the_form_asks_for_a_name_not_a_code(client):
    text = visible(client.get("/checkup").text)
    assert "所属行业" in text and "行业代码" not in text


def test_industry_suggestions_by_name(client):
    res = client.get("/api/industries", params={"q": "电子"})
    assert res.status_code == 200
    assert res.json()[:2] == [
        {"code": "39", "name": "计算机、通信和其他电子设备制造业", "section": "制造业"},
        {"code": "81", "name": "机动车、电子产品和日用产品修理业",
         "section": "居民服务、修理和其他服务业"}]
    assert client.get("/api/industries", params={"q": "开饭店"}).json()[0]["code"] == "62"
    assert client.get("/api/industries", params={"q": "xyz"}).json() == []


def test_a_clear_name_is_resolved_on_the_server(client):
    page = client.post("/checkup", data={"industry": "电子厂", "employees": "120",
                                         "revenue": "8000", "today": TODAY})
    assert page.status_code == 200
    text = visible(page.text)
    assert "已按您填写的“电子厂”选定行业：39 计算机、通信和其他电子设备制造业" in text
    assert "体检结果" in text
    # The form keeps the chosen industry by name, so sending it again changes nothing.
    assert 'value="39 计算机、通信和其他电子设备制造业"' in page.text


def test_an_unclear_name_asks_which_then_the_choice_is_used(client):
    page = client.post("/checkup", data={"industry": "电子", "employees": "30", "today": TODAY})
    assert page.status_code == 200
    text = visible(page.text)
    assert "您填写的“电子”可能是以下行业，请选择一项" in text and "体检结果" not in text
    radios = re.findall(r'type="radio" name="industry_code" value="(\w+)"', page.text)
    assert radios[:2] == ["39", "81"]
    assert 'value="30"' in page.text  # the rest of the form is kept
    chosen = client.post("/checkup", data={"industry": "电子", "industry_code": "81",
                                           "employees": "30", "today": TODAY})
    assert chosen.status_code == 200 and "体检结果" in chosen.text
    assert 'value="81 机动车、电子产品和日用产品修理业"' in chosen.text


def test_a_name_nothing_resembles_is_explained_on_the_form(client):
    page = client.post("/checkup", data={"industry": "xyz", "employees": "30", "today": TODAY})
    assert page.status_code == 422
    text = visible(page.text)
    assert "没有找到与“xyz”相符的行业" in text and "12345" in text and "开始体检" in text
    assert "industry" not in text and "422" not in text


@pytest.mark.parametrize(("field", "value", "words"), [
    ("employees", "-5", "从业人员不能小于0"),
    ("revenue", "很多", "营业收入应为数字"),
])
def test_other_mistakes_are_labelled_in_chinese_on_the_form(client, field, value, words):
    page = client.post("/checkup", data={"industry": "饭店", field: value, "today": TODAY})
    assert page.status_code == 422
    text = visible(page.text)
    assert words in text and field not in text and "Input" not in text
    assert 'value="62 餐饮业"' in page.text  # kept (as found) for the correction
