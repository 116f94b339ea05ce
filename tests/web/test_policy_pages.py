"""The server-rendered pages: home, the 规范性文件 list with filters and pages, one policy."""

import re

import pytest


def test_home_opens_with_a_question_box_and_keeps_staff_tools_aside(client):
    page = client.get("/")
    assert page.status_code == 200
    assert 'data-inline="#home-ask"' in page.text and "data-starters='[\"" in page.text
    for href in ("/policies", "/ask", "/checkup", "/track", "/agent", "/admin"):
        assert f'href="{href}"' in page.text
    cards = page.text.split('class="staff-entry"')[0]  # what citizens are offered
    assert 'href="/agent"' not in cards and 'href="/admin"' not in cards
    assert 'href="/docs"' not in page.text  # the API reference is for integrators:
    assert 'href="/docs"' in client.get("/demo").text  # the embedding demo links it


def test_list_shows_validity_of_each_policy_and_filters(client):
    page = client.get("/policies")
    assert page.status_code == 200 and "共 17 件" in page.text
    assert page.text.count('class="policy-item"') == 17
    assert "废止" in page.text and "已修订" in page.text
    assert '<option value="县科技局">' in page.text  # department dropdown filled from the database
    filtered = client.get("/policies", params={"validity": "废止"})
    assert "共 1 件" in filtered.text and "融资担保风险补偿资金暂行办法" in filtered.text
    assert '<option value="废止" selected>' in filtered.text  # the form keeps what was chosen


def test_empty_form_fields_mean_any(client):
    page = client.get("/policies", params={"q": "", "department": "", "validity": "", "theme": "",
                                           "issued_from": "", "issued_to": ""})
    assert page.status_code == 200 and "共 17 件" in page.text


def test_pagination_keeps_the_filters(client):
    page = client.get("/policies", params={"theme": "资金补贴", "per_page": "1"})
    assert "第 1 / 3 页" in page.text
    nxt = re.search(r'<a rel="next" href="([^"]+)"', page.text).group(1)
    assert "theme=" in nxt and "page=2" in nxt
    second = client.get(nxt.replace("&amp;", "&"))
    assert second.status_code == 200 and "共 3 件，第 2 / 3 页" in second.text


def test_bad_date_is_a_422_page(client):
    page = client.get("/policies", params={"issued_from": "2024-02-30"})
    assert page.status_code == 422 and "<html" in page.text
    # The filter's label, not the query parameter's name, which the visitor never saw.
    assert "发文日期起" in page.text and "issued_from" not in page.text


def test_policy_page_shows_clauses_interpretation_faq_and_service_elements(client, policy_ids):
    page = client.get(f"/policies/{policy_ids['jh-2024-sci-01']}")
    assert page.status_code == 200
    html = page.text
    assert "金湖县加快科技型企业培育的奖励办法" in html and "金科发〔2024〕8号" in html
    assert re.search(r'id="clause-\d+"', html)  # every clause can be linked to
    for label in ("背景", "目的", "主要举措", "拟稿人", "审核人", "发布人", "常见问题",
                  "惠及对象", "申报条件", "兑现时限", "受理地址", "咨询电话", "申报时间", "相关政策"):
        assert label in html, label
    assert 'class="v v-有效"' in html


def test_revised_policy_links_to_its_successor(client, policy_ids):
    html = client.get(f"/policies/{policy_ids['jh-2021-tech-01']}").text
    assert 'class="v v-已修订"' in html and "不再作为办理依据" in html
    assert f'<a href="/policies/{policy_ids["jh-2024-tech-01"]}" id="successor">' in html


def test_text_is_escaped(client, demo_engine, policy_ids):
    from sqlmodel import Session

    from kb.models import Policy

    with Session(demo_engine) as session:
        session.get(Policy, policy_ids["jh-2024-sci-01"]).beneficiaries = "<script>alert(1)</script>"
        session.commit()
    html = client.get(f"/policies/{policy_ids['jh-2024-sci-01']}").text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_unknown_policy_is_a_404_page(client):
    page = client.get("/policies/424242")
    assert page.status_code == 404 and "<html" in page.text and "424242" in page.text


def test_clause_headings_appear_once(client, policy_ids):
    page = client.get(f"/policies/{policy_ids['jh-2024-tech-01']}").text
    text = re.sub(r"<[^>]+>", "", page[page.index('id="fulltext"'):page.index("</section>", page.index('id="fulltext"'))])
    assert text.count("第四条") == 1 and text.count("设备投资补助") == 1
    assert text.count("第二章 技术改造支持") == 1  # the chapter, once, above its first clause


@pytest.mark.parametrize("typed", ["金政发[2024]12号", "金政发【2024】12号", "金政发（2024）12号",
                                   "金政发(2024)12", "[2024]12号"])
def test_list_finds_a_doc_number_typed_with_any_brackets(client, typed):
    page = client.get("/policies", params={"q": typed}).text
    assert "共 1 件" in page and "金政发〔2024〕12号" in page
    api = client.get("/api/policies", params={"q": typed}).json()
    assert [p["doc_number"] for p in api["items"]] == ["金政发〔2024〕12号"]


def test_policy_page_and_list_carry_the_widget_scoped_to_the_policy(client, policy_ids):
    pid = policy_ids["jh-2024-sci-01"]
    page = client.get(f"/policies/{pid}").text
    assert re.search(rf'<script src="/widget.js" data-title="就本政策提问" data-policy="{pid}"', page)
    import json

    starters = json.loads(re.search(r"data-starters='([^']*)'", page).group(1))
    assert "我们公司去年刚认定高新企业，能拿多少奖励？" in starters  # its own FAQ as starters
    listing = client.get("/policies").text
    assert '<script src="/widget.js" data-title="政策咨询"' in listing and "data-policy" not in listing


def test_every_page_has_the_site_name_footer_and_favicon(client):
    for path in ("/", "/policies", "/ask", "/checkup", "/track"):
        page = client.get(path).text
        assert "政策通 · 金湖县涉企政策服务" in page and "主办单位：金湖县人民政府办公室" in page
        assert 'href="/favicon.ico"' in page
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_site_name_and_footer_come_from_settings(demo_engine, web_settings):
    from fastapi.testclient import TestClient

    from web.app import create_app

    s = web_settings.model_copy(update={"site_name": "某某县政策服务",
                                        "site_footer": "主办单位：某某县政府|备案号：苏ICP备0000号"})
    with TestClient(create_app(s)) as c:
        page = c.get("/").text
    assert "某某县政策服务" in page and "<p>备案号：苏ICP备0000号</p>" in page
    assert "金湖县涉企政策服务" not in page


def test_ask_page_embeds_the_widget_inline_with_starters(client):
    import json
    import re

    page = client.get("/ask")
    assert page.status_code == 200
    assert 'data-inline="#ask-panel"' in page.text and 'id="ask-panel"' in page.text
    starters = json.loads(re.search(r"data-starters='([^']*)'", page.text).group(1))
    assert 1 < len(starters) <= 6
    assert '<a href="/ask">智能问答</a>' in page.text  # the nav's Q&A link is the page itself
