"""GET /api/policies and /api/policies/{id}: the public list with filters, one policy in full."""

import pytest
from sqlmodel import Session

from kb.models import Policy, Status


def titles(res) -> list[str]:
    return [p["title"] for p in res.json()["items"]]


def test_list_is_paged_newest_first(client):
    first = client.get("/api/policies", params={"per_page": 5}).json()
    assert first["total"] == 17 and first["page"] == 1 and first["per_page"] == 5
    dates = [p["issue_date"] for p in first["items"]]
    assert dates == sorted(dates, reverse=True)
    last = client.get("/api/policies", params={"per_page": 5, "page": 4}).json()
    assert len(last["items"]) == 2
    item = first["items"][0]
    assert {"id", "title", "department", "validity", "doc_number", "issue_date", "themes",
            "superseded_by"} <= item.keys()
    assert "full_text" not in item and "source_key" not in item


def test_filters(client):
    by_text = client.get("/api/policies", params={"q": "金人社规"})
    assert titles(by_text) == ["金湖县鼓励高校毕业生来金就业创业的若干措施"]
    by_dept = client.get("/api/policies", params={"department": "县地方金融监管局"})
    assert set(titles(by_dept)) == {"金湖县中小企业转贷应急资金管理办法",
                                    "金湖县小微企业融资担保风险补偿资金暂行办法"}
    invalid = client.get("/api/policies", params=[("validity", "废止"), ("validity", "失效")]).json()
    assert {p["validity"] for p in invalid["items"]} == {"废止", "失效"} and invalid["total"] == 2
    by_theme = client.get("/api/policies", params={"theme": "技术改造"})
    assert len(titles(by_theme)) == 2
    dated = client.get("/api/policies", params={"issued_from": "2025-01-01", "issued_to": "2025-12-31"})
    assert titles(dated) == ["金湖县促进外贸稳规模优结构的若干措施"]


def test_revised_policy_names_its_successor_in_the_list(client):
    item = client.get("/api/policies", params={"q": "金政发〔2021〕18号"}).json()["items"][0]
    assert item["validity"] == "已修订"
    assert item["superseded_by"]["doc_number"] == "金政发〔2024〕12号"


@pytest.mark.parametrize(("params", "word"), [
    ({"issued_from": "2024-13-01"}, "issued_from"),
    ({"issued_to": "昨天"}, "issued_to"),
    ({"issued_from": "2025-01-01", "issued_to": "2024-01-01"}, "issued_from"),
    ({"page": "x"}, "page"),
    ({"page": "0"}, "page"),
    ({"per_page": "1000"}, "per_page"),
    ({"department": "县宣传部"}, "县宣传部"),
    ({"validity": "作废"}, "作废"),
])
def test_bad_list_parameters_are_422_naming_the_problem(client, params, word):
    res = client.get("/api/policies", params=params)
    assert res.status_code == 422 and word in res.json()["detail"]


def test_policy_in_full(client, policy_ids):
    res = client.get(f"/api/policies/{policy_ids['jh-2021-tech-01']}")
    assert res.status_code == 200
    p = res.json()
    assert p["title"] == "金湖县关于鼓励工业企业技术改造的若干政策" and p["department"] == "县工业和信息化局"
    sections = [c["section"] for c in p["clauses"]]
    assert sections[:4] == ["序言", "第一条", "第二条", "第三条"]  # in the order printed
    assert "设备投资额的6%" in p["clauses"][2]["text"]
    interp = p["interpretations"][0]
    assert interp["background"] and interp["purpose"] and interp["measures"]
    assert interp["drafter"] and interp["reviewer"] and interp["publisher"]
    assert len(p["faq"]) == 4 and all(f["question"] and f["answer"] for f in p["faq"])
    assert p["superseded_by"] == {"id": policy_ids["jh-2024-tech-01"], "title":
                                  "金湖县推动工业企业技术改造和智能化改造的若干政策措施",
                                  "doc_number": "金政发〔2024〕12号"}
    related = p["related"]
    assert 1 <= len(related) <= 5 and related[0]["id"] == policy_ids["jh-2024-tech-01"]
    assert p["id"] not in [r["id"] for r in related]
    valid_first = [r["validity"] == "有效" for r in related]
    assert valid_first == sorted(valid_first, reverse=True)


def test_policy_by_bulk_file_id(client):
    res = client.get("/api/policies/jh-2024-sci-01")
    assert res.status_code == 200 and res.json()["doc_number"] == "金科发〔2024〕8号"


@pytest.mark.parametrize("ref", ["424242", "jh-1999-none-01"])
def test_unknown_policy_is_404_json(client, ref):
    res = client.get(f"/api/policies/{ref}")
    assert res.status_code == 404 and ref in res.json()["detail"]


def test_unpublished_policies_are_not_public(client, demo_engine, policy_ids):
    pid = policy_ids["jh-2024-sci-01"]
    with Session(demo_engine) as session:
        session.get(Policy, pid).status = Status.WITHDRAWN
        session.commit()
    assert client.get(f"/api/policies/{pid}").status_code == 404
    assert client.get("/api/policies").json()["total"] == 16
    assert client.get(f"/policies/{pid}").status_code == 404


def test_an_abbreviation_finds_the_policy_whose_title_spells_it_out(client):
    # 电商 is nowhere in the titles; the knowledge base's vocabulary knows 电子商务.
    assert "金湖县加快发展电子商务和现代物流业的若干政策" in titles(
        client.get("/api/policies", params={"q": "电商"}))
    assert "金湖县推动工业企业技术改造和智能化改造的若干政策措施" in titles(
        client.get("/api/policies", params={"q": "智改"}))
    # A word typed in full still finds just its own titles.
    assert titles(client.get("/api/policies", params={"q": "电子商务"})) == [
        "金湖县加快发展电子商务和现代物流业的若干政策"]


def test_the_policy_list_page_finds_by_abbreviation(client):
    page = client.get("/policies", params={"q": "电商"})
    assert page.status_code == 200 and "金湖县加快发展电子商务和现代物流业的若干政策" in page.text
