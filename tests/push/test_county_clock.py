"""One county day everywhere: at 23:30 UTC it is already the next day in the county, and the
checkup, the matcher, the calculator's year and the firm page all say so."""

import json
import re
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from kb import clock
from kb.cli.main import main
from kb.config import get_settings
from kb.database.db import make_engine
from push.delivery.models import InboxMessage
from push.delivery.render import Links
from push.firms.models import Firm
from push.guides.service import default_year
from web.app import create_app

LATE = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)  # 2026-12-07 07:30 in the county
COUNTY_DAY = date(2026, 12, 7)
PROFILE = {"industry_code": "3911", "employees": "60", "revenue": "4000", "assets": "3000",
           "region": "黎城街道"}


@pytest.fixture
def demo(cli_env, capsys):
    """The demo loaded through the CLI, its engine, and one demo firm."""
    assert main(["demo", "--no-serve"]) == 0
    capsys.readouterr()
    engine = make_engine(get_settings().db_url)
    with Session(engine) as session:
        firm = session.exec(select(Firm).order_by(Firm.id)).first()
    yield engine, firm
    engine.dispose()


def _days_left_agree(pairs: list[tuple[str, str]]) -> None:
    """Every (deadline, days left) shown counts from the county day."""
    assert pairs, "no deadline shown"
    for deadline, left in pairs:
        assert (date.fromisoformat(deadline) - COUNTY_DAY).days == int(left), (deadline, left)


def test_matcher_and_checkup_count_from_the_county_day(demo, capsys):
    _, firm = demo
    with clock.freeze(LATE):
        assert main(["match", "--firm", firm.uscc, "--json"]) == 0
        matched = json.loads(capsys.readouterr().out)
        assert main(["checkup", "--firm", firm.uscc, "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
    assert matched["date"] == "2026-12-07"
    windows = [c["detail"] for m in matched["matches"] + matched["near_misses"]
               for c in m["criteria"] if c["criterion"] == "window"]
    _days_left_agree([re.search(r"至(\d{4}-\d\d-\d\d)，正在受理，距截止还有(\d+)天", w).groups()
                      for w in windows if "距截止" in w])
    items = report["applicable"] + report["near_misses"]
    _days_left_agree([(i["deadline"], i["days_left"]) for i in items if i["days_left"] is not None])


def test_checkup_page_and_firm_page_show_the_county_day(demo):
    engine, firm = demo
    settings = get_settings()
    with clock.freeze(LATE), TestClient(create_app(settings)) as client:
        page = client.post("/checkup", data=PROFILE).text
        assert "体检结果（2026-12-07）" in page
        _days_left_agree(re.findall(r"申报截止：(\d{4}-\d\d-\d\d)（还有(\d+)天）", page))
        with Session(engine) as session:  # a message delivered just now
            session.add(InboxMessage(key="clock-test", firm_id=firm.id, subject="《测试》推送",
                                     body="正文"))
            session.commit()
        link = Links(settings=settings, firm_id=firm.id).firm_page()
        firm_page = client.get(link[link.index("/push/firm"):]).text
    assert re.search(r"《测试》推送 <span class=\"badge\">2026-12-07</span>", firm_page)


def test_the_application_year_turns_with_the_county_new_year(demo):
    with clock.freeze(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)):
        assert clock.county_today() == date(2027, 1, 1)
        assert default_year() == 2027  # the calculator judges 2027's application
    with clock.freeze(datetime(2026, 12, 31, 15, 59, tzinfo=UTC)):
        assert default_year() == 2026  # 23:59 in the county: still 2026


def test_stored_times_come_back_aware_in_utc(demo):
    engine, firm = demo
    with Session(engine) as session:
        session.add(InboxMessage(key="aware-test", firm_id=firm.id, subject="s",
                                 created_at=datetime(2026, 12, 7, 7, 30,
                                                     tzinfo=clock.COUNTY_TZ)))
        session.commit()
    with Session(engine) as session:
        row = session.exec(select(InboxMessage).where(InboxMessage.key == "aware-test")).one()
    assert row.created_at == LATE and row.created_at.tzinfo is not None
    assert row.created_at.utcoffset().total_seconds() == 0
