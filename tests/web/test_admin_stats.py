"""The statistics page and its CSV exports through HTTP, with real sessions and roles."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from kb.clock import county_day
from kb.feedback.models import LedgerTopic
from kb.models import Department
from tests.web.staff import login, make_user

TODAY = county_day(datetime.now(UTC))


@pytest.fixture
def browsers(app, client, demo_engine):
    """Signed-in browsers by role: admin, reviewer, publisher, drafter, agent."""
    out = {}
    for i, role in enumerate(("admin", "reviewer", "publisher", "drafter", "agent")):
        make_user(demo_engine, role, roles=[role])
        browser = TestClient(app, client=(f"10.0.3.{i + 1}", 40000))
        login(browser, role)
        out[role] = browser
    return out


def _rows(res) -> list[dict]:
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("text/csv")
    assert res.content.startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese as UTF-8
    return list(csv.DictReader(io.StringIO(res.content.decode("utf-8-sig"))))


def test_the_page_shows_todays_questions_rates_and_backlog(client, browsers, demo_engine):
    for question in ("首次认定高新技术企业县里奖励多少", "首次认定高新技术企业县里奖励多少", "家里的宠物狗怎么办证"):
        asked = client.post("/api/ask", json={"question": question, "channel": "widget"}).json()
    client.post("/api/feedback", json={"question_id": asked["question_id"], "helpful": False})
    client.app.state.questions.flush()
    client.app.state.ledger_filer.flush()  # filed in the background, after the response
    page = browsers["reviewer"].get(f"/admin/stats?start={TODAY}&end={TODAY}")
    assert page.status_code == 200
    text = page.text
    assert 'id="questions">3<' in text and 'id="confident-rate">66.7%<' in text
    assert 'id="helpful-rate">0.0%<' in text
    assert "首次认定高新技术企业县里奖励多少</td><td>2<" in text  # the hot question and its count
    assert "<svg" in text and f"{TODAY.isoformat()}：3 问" in text  # one bar, with its tooltip
    with Session(demo_engine) as session:  # the pet question is waiting on the ledger
        [topic] = session.exec(select(LedgerTopic)).all()
        dept = session.get(Department, topic.department_id).name if topic.department_id else "未指定部门"
    assert f"{dept}</td><td>1</td>" in text
    assert f'href="/admin/stats.csv?start={TODAY}&amp;end={TODAY}"' in text
    assert 'href="/admin/disclosure.csv?year=' in text


def test_the_default_range_is_the_last_30_days(browsers):
    page = browsers["publisher"].get("/admin/stats")
    assert page.status_code == 200
    assert f'name="start" value="{(TODAY - timedelta(days=29)).isoformat()}"' in page.text
    assert f'name="end" value="{TODAY.isoformat()}"' in page.text
    assert page.text.count("<rect") == 30


def test_per_day_csv_has_every_day_with_chinese_headers(client, browsers):
    client.post("/api/ask", json={"question": "首次认定高新技术企业县里奖励多少"})
    start = TODAY - timedelta(days=2)
    rows = _rows(browsers["admin"].get(f"/admin/stats.csv?start={start}&end={TODAY}"))
    assert [r["日期"] for r in rows] == [(start + timedelta(days=i)).isoformat() for i in range(3)]
    assert [r["提问数"] for r in rows] == ["0", "0", "1"]
    assert set(rows[0]) == {"日期", "提问数", "有效答复数", "有效答复率", "反馈数", "有帮助数", "有帮助率"}


def test_disclosure_csv_has_a_row_per_department(client, browsers):
    client.post("/api/ask", json={"question": "家里的宠物狗怎么办证"})
    client.app.state.questions.flush()
    client.app.state.ledger_filer.flush()  # filed in the background, after the response
    rows = _rows(browsers["admin"].get(f"/admin/disclosure.csv?year={TODAY.year}"))
    by_name = {r["部门"]: r for r in rows}
    assert {"县科技局", "县人社局", "合计"} <= by_name.keys() and rows[-1]["部门"] == "合计"
    assert by_name["县科技局"]["有效政策数"] == "1"
    assert by_name["合计"]["归属问题数"] == "1" and by_name["合计"]["年末未办结数"] == "1"
    assert list(rows[0]) == ["部门", "有效政策数", "发布政策解读数", "发布常见问题数", "归属问题数",
                             "办结问题数", "办结天数中位数", "年末未办结数"]


@pytest.mark.parametrize(("path", "words"), [
    ("/admin/stats?start=2026-02-30", ["开始日期", "2026-02-30"]),
    ("/admin/stats?start=2026-03-05&end=2026-03-01", ["晚于"]),
    ("/admin/stats?start=2020-01-01&end=2026-01-01", ["366"]),
    ("/admin/stats.csv?end=yesterday", ["结束日期", "yesterday"]),
    ("/admin/disclosure.csv?year=twenty", ["twenty", "年份"]),
    ("/admin/disclosure.csv?year=1999", ["1999"]),
])
def test_bad_ranges_and_years_are_422_with_a_message(browsers, path, words):
    res = browsers["admin"].get(path)
    assert res.status_code == 422
    for word in words:
        assert word in res.text


@pytest.mark.parametrize("role", ["drafter", "agent"])
def test_other_roles_may_not_see_statistics(browsers, role):
    for path in ("/admin/stats", "/admin/stats.csv", f"/admin/disclosure.csv?year={TODAY.year}"):
        res = browsers[role].get(path)
        assert res.status_code == 403 and "审核人" in res.text


def test_anonymous_visitors_are_sent_to_sign_in(client, public):
    res = client.get("/admin/stats", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"].startswith("/admin/login")
    assert public.get("/admin/stats.csv", follow_redirects=False).status_code == 303
