"""Staff pages for 直达快享: 免申即享 lists signed off by three people, the department's fact
disputes resolved from its queue (the firm's page shows the outcome), and the statistics."""

from types import SimpleNamespace

import pytest
from sqlmodel import Session, select

from kb.models import Policy
from kb.staff.models import AuditEntry
from push.delivery.tokens import firm_token
from push.demo import load_demo as load_push_demo
from push.direct.models import DirectList, ListStatus
from push.facts.models import FirmFact
from push.facts.service import dispute
from push.firms.models import Firm
from push.matching.synthetic import make_uscc
from tests.web.staff import login, make_user

YUNFAN = make_uscc(903)  # 金湖云帆软件有限公司: 当年首次认定高新技术企业, from 县科技局


@pytest.fixture
def demo(demo_engine, capsys):
    """The push demo (firms, facts, guides, a list waiting for review) and 县科技局's staff."""
    load_push_demo(SimpleNamespace(engine=demo_engine))
    capsys.readouterr()
    for username, roles in (("kj-reviewer", ["reviewer"]), ("kj-publisher", ["publisher"]),
                            ("kj-both", ["reviewer", "publisher"]), ("kj-handler", ["handler"])):
        make_user(demo_engine, username, roles=roles, department="县科技局")
    make_user(demo_engine, "gx-handler", roles=["handler"], department="县工业和信息化局")
    make_user(demo_engine, "kj-agent", roles=["agent"], department="县科技局")
    with Session(demo_engine) as s:
        return s.exec(select(DirectList.id)).one()


def _logout(client, csrf):
    client.post("/admin/logout", data={"csrf_token": csrf})


def test_a_list_is_reviewed_and_published_by_different_people_from_its_pages(client, demo_engine, demo):
    list_id = demo
    csrf = login(client, "kj-reviewer")
    assert 'href="/admin/direct"' in client.get("/admin").text  # in the staff navigation
    index = client.get("/admin/direct")
    assert index.status_code == 200
    row = index.text.split(f'id="list-{list_id}"', 1)[1].split("</tr>", 1)[0]
    assert "<td class=\"status\">待审核</td><td>3</td><td>40</td>" in row
    assert "金湖县加快科技型企业培育的奖励办法" in row
    page = client.get(f"/admin/direct/lists/{list_id}")
    assert page.status_code == 200 and 'id="review-form"' in page.text
    assert 'id="publish-form"' not in page.text
    entries = page.text.split('id="entries"', 1)[1]
    assert "金湖云帆软件有限公司" in entries and YUNFAN in entries
    assert "2026年当年首次认定高新技术企业 是" in entries  # the facts used, frozen
    assert "这是该政策本期的第一份名单" in page.text

    assert client.post(f"/admin/direct/lists/{list_id}/review",
                       data={"decision": "approve"}).status_code == 403  # no CSRF token
    done = client.post(f"/admin/direct/lists/{list_id}/review",
                       data={"csrf_token": csrf, "decision": "approve"})
    assert done.status_code == 200 and "已审核通过，待发布" in done.text
    assert 'id="publish-note"' in done.text and 'id="publish-form"' not in done.text
    _logout(client, csrf)

    csrf = login(client, "kj-publisher")
    page = client.get(f"/admin/direct/lists/{list_id}")
    assert 'id="publish-form"' in page.text and 'id="review-form"' not in page.text
    done = client.post(f"/admin/direct/lists/{list_id}/publish", data={"csrf_token": csrf})
    assert "已发布：新建已核定申报3件" in done.text and "已发布" in done.text.split('id="list-status"')[1][:20]

    # The publisher generates a new list: the page compares it with the previous one, and the
    # publisher cannot review what they generated.
    with Session(demo_engine) as s:
        policy_id = s.get(DirectList, list_id).policy_id
    made = client.post("/admin/direct/lists", data={"csrf_token": csrf, "policy_id": policy_id,
                                                    "period": "2026"}, follow_redirects=False)
    assert made.status_code == 303
    page = client.get(made.headers["location"])
    assert f"与上一份名单<a href=\"/admin/direct/lists/{list_id}\">{list_id}</a>相比：新增0家，移出0家，金额变化0家，未变3家" in page.text
    assert "已兑现3项（不再重复兑现）" in page.text
    _logout(client, csrf)
    csrf = login(client, "kj-both")
    client.post("/admin/direct/lists", data={"csrf_token": csrf, "policy_id": policy_id,
                                             "period": "2026"})
    with Session(demo_engine) as s:
        mine = s.exec(select(DirectList).where(DirectList.generated_by == "kj-both")).one()
    page = client.get(f"/admin/direct/lists/{mine.id}")
    assert 'id="review-form"' not in page.text and 'id="review-note"' in page.text
    refused = client.post(f"/admin/direct/lists/{mine.id}/review",
                          data={"csrf_token": csrf, "decision": "approve"})
    assert refused.status_code == 403 and "不能审核自己生成的名单" in refused.text
    bad = client.post("/admin/direct/lists", data={"csrf_token": csrf, "policy_id": policy_id,
                                                   "period": "明年"})
    assert bad.status_code == 422 and "期次应为年份" in bad.text
    _logout(client, csrf)

    login(client, "gx-handler")  # another department's lists stay theirs
    assert client.get(f"/admin/direct/lists/{list_id}").status_code == 403
    assert f'id="list-{list_id}"' not in client.get("/admin/direct").text
    with Session(demo_engine) as s:
        assert s.get(DirectList, list_id).status == ListStatus.PUBLISHED


def test_agents_and_the_public_do_not_get_the_pages(client, public, demo):
    assert public.get("/admin/direct", follow_redirects=False).status_code in (303, 403)
    login(client, "kj-agent")
    assert client.get("/admin/direct").status_code == 403
    assert 'href="/admin/direct"' not in client.get("/admin").text


def _firm_dispute(engine, reason: str) -> tuple[int, int]:
    with Session(engine) as s:
        firm = s.exec(select(Firm).where(Firm.uscc == YUNFAN)).one()
        fact_id = s.exec(select(FirmFact.id).where(FirmFact.firm_id == firm.id,
                                                    FirmFact.name == "hitech_first")).one()
        row = dispute(session=s, firm_id=firm.id, fact_id=fact_id, reason=reason)
        s.commit()
        return firm.id, row.id


def test_the_department_resolves_a_dispute_from_its_queue_and_the_firm_sees_the_outcome(
        client, public, demo_engine, demo, web_settings):
    firm_id, dispute_id = _firm_dispute(demo_engine, "今年是重新认定")
    csrf = login(client, "gx-handler")
    assert "今年是重新认定" not in client.get("/admin/direct/disputes").text
    res = client.post(f"/admin/direct/disputes/{dispute_id}/resolve",
                      data={"csrf_token": csrf, "decision": "reject", "reason": "无据"})
    assert res.status_code == 403 and "只能处理本部门" in res.text
    _logout(client, csrf)

    csrf = login(client, "kj-handler")
    page = client.get("/admin/direct/disputes")
    row = page.text.split(f'id="dispute-{dispute_id}"', 1)[1].split("</tr>", 1)[0]
    assert "金湖云帆软件有限公司" in row and "当年首次认定高新技术企业" in row and "今年是重新认定" in row
    bad = client.post(f"/admin/direct/disputes/{dispute_id}/resolve",
                      data={"csrf_token": csrf, "decision": "accept", "value": "也许"})
    assert bad.status_code == 422 and "应为“是”或“否”" in bad.text
    done = client.post(f"/admin/direct/disputes/{dispute_id}/resolve",
                       data={"csrf_token": csrf, "decision": "accept", "value": "否"})
    assert done.status_code == 200 and "没有待处理的异议" in done.text
    assert "已采纳：当年首次认定高新技术企业更正为否（原为是）" in done.text.split('id="settled-disputes"')[1]
    again = client.post(f"/admin/direct/disputes/{dispute_id}/resolve",
                        data={"csrf_token": csrf, "decision": "reject", "reason": "x"})
    assert again.status_code == 409

    token = firm_token(key=web_settings.signing_key(), firm_id=firm_id)
    firm_page = public.get(f"/push/firm?token={token}").text
    assert "异议处理结果：已采纳：当年首次认定高新技术企业更正为否（原为是）" in firm_page
    with Session(demo_engine) as s:
        [entry] = s.exec(select(AuditEntry).where(AuditEntry.action == "fact.dispute.resolve")).all()
        assert entry.actor == "kj-handler" and entry.record_id == dispute_id


def test_the_api_resolves_a_dispute_with_a_reason(client, demo_engine, demo):
    _, dispute_id = _firm_dispute(demo_engine, "应为重新认定")
    csrf = login(client, "kj-handler")
    [queued] = client.get("/api/facts/disputes").json()
    assert queued["id"] == dispute_id and queued["fact"] == "当年首次认定高新技术企业"
    url = f"/api/facts/disputes/{dispute_id}/resolve"
    headers = {"X-CSRF-Token": csrf}
    assert client.post(url, json={}, headers=headers).status_code == 422  # neither
    assert client.post(url, json={"accept": "否", "reject": "x"}, headers=headers).status_code == 422
    assert client.post("/api/facts/disputes/999999/resolve", json={"reject": "x"},
                       headers=headers).status_code == 404
    res = client.post(url, json={"reject": "认定名单为首次认定"}, headers=headers)
    assert res.status_code == 200 and res.json()["resolution"].startswith("未采纳：认定名单为首次认定")
    assert client.post(url, json={"reject": "x"}, headers=headers).status_code == 409
    assert client.get("/api/facts/disputes").json() == []


def test_statistics_page_and_csv(client, demo_engine, demo):
    login(client, "kj-handler")
    page = client.get("/admin/direct/stats")
    assert page.status_code == 200 and 'href="/admin/direct/stats.csv?by=policy"' in page.text
    with Session(demo_engine) as s:
        title = s.exec(select(Policy.title).where(Policy.source_key == "id:jh-2024-sci-01")).one()
    row = page.text.split(title, 1)[1].split("</tr>", 1)[0]
    assert "<td>免申即享</td><td>3</td><td>40.0</td>" in row
    by_dept = client.get("/admin/direct/stats?by=department")
    assert "<td>县科技局</td>" in by_dept.text and "<th>兑现方式</th>" not in by_dept.text
    csv = client.get("/admin/direct/stats.csv?by=department")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.lstrip("\ufeff").startswith("编号,名称,部门,兑现方式,符合企业数")
    assert any(line.startswith(",县科技局,") for line in csv.text.splitlines())
