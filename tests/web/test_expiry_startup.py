"""The validity expiry job in the running app: at start-up, and the daily loop that outlives failures."""

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from kb.database.db import create_schema, make_engine
from kb.models import Policy
from kb.search.service import Searcher
from tests.kb.library.test_validity import LAPSED_QUESTION, add_lapsed
from tests.web.conftest import STAFF
from web import scheduler
from web.app import create_app


@pytest.fixture
def lapsed(demo_engine, tmp_path) -> int:
    """A published 有效 policy whose effective-to date (2025-12-31) has passed."""
    return add_lapsed(demo_engine, tmp_path)


def test_start_up_expires_the_policy_before_anyone_asks(app, lapsed, demo_engine):
    with TestClient(app, client=STAFF) as client:
        data = client.post("/api/ask", json={"question": LAPSED_QUESTION}).json()
        assert data["answer"]["policy_id"] == lapsed
        assert data["answer"]["validity"] == "失效"
        assert "失效" in data["message"]
        page = client.get(f"/policies/{lapsed}")
        assert page.status_code == 200
        assert '<span class="v v-失效" id="validity">失效</span>' in page.text
        assert "不再作为办理依据" in page.text
        task = app.state.jobs[scheduler.EXPIRY_JOB]
        assert not task.done()  # waiting for the next midnight
    assert task.cancelled()  # shutdown stopped it
    with Session(demo_engine) as session:
        assert session.get(Policy, lapsed).version == 2


def test_run_expiry_catches_a_policy_that_lapses_while_running(client, app, demo_engine, tmp_path):
    assert scheduler.run_expiry(app) == []  # start-up already did today's work
    pid = add_lapsed(demo_engine, tmp_path)  # e.g. re-imported while the app runs
    assert scheduler.run_expiry(app) == [pid]
    data = client.post("/api/ask", json={"question": LAPSED_QUESTION}).json()
    assert data["answer"]["validity"] == "失效"


@pytest.mark.parametrize(("now", "expected"), [
    (datetime(2026, 11, 26, 10, 0, tzinfo=UTC), datetime(2026, 11, 26, 16, 1, tzinfo=UTC)),
    (datetime(2026, 11, 26, 16, 0, 30, tzinfo=UTC), datetime(2026, 11, 26, 16, 1, tzinfo=UTC)),
    (datetime(2026, 11, 26, 16, 1, tzinfo=UTC), datetime(2026, 11, 27, 16, 1, tzinfo=UTC)),
    (datetime(2026, 12, 31, 20, 0, tzinfo=UTC), datetime(2027, 1, 1, 16, 1, tzinfo=UTC)),
])
def test_next_run_is_a_minute_past_county_midnight(now, expected):
    assert scheduler.next_run(now) == expected


def test_the_daily_loop_logs_failures_and_keeps_going(demo_engine, settings, tmp_path,
                                                       monkeypatch, caplog):
    # Midnight comes every 50 ms here: the one thing a test cannot wait for is the calendar.
    monkeypatch.setattr(scheduler, "next_run", lambda now: now + timedelta(milliseconds=50))
    pid = add_lapsed(demo_engine, tmp_path)
    broken = make_engine(f"sqlite:///{tmp_path}/missing/folder/kb.db")  # cannot be opened
    app = FastAPI()
    app.state.engine, app.state.searcher = broken, Searcher(demo_engine, settings)
    app.state.settings = settings

    async def scenario() -> bool:
        task = asyncio.create_task(scheduler._daily(app))
        deadline = time.monotonic() + 10
        while "validity expiry failed" not in caplog.text and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        app.state.engine = demo_engine  # the database is back
        while time.monotonic() < deadline:
            with Session(demo_engine) as session:
                if session.get(Policy, pid).validity == "失效":
                    break
            await asyncio.sleep(0.02)
        alive = not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return alive

    with caplog.at_level(logging.ERROR, logger="policykb"):
        # Its own thread: the browser tests' Playwright keeps an event loop on the main thread.
        with ThreadPoolExecutor(max_workers=1) as pool:
            assert pool.submit(asyncio.run, scenario()).result()
    assert "validity expiry failed" in caplog.text
    with Session(demo_engine) as session:
        assert session.get(Policy, pid).validity == "失效"
    broken.dispose()


def test_start_up_logs_what_it_did(settings, caplog):
    engine = make_engine(settings.db_url)
    create_schema(engine)  # nothing ingested yet: nothing to expire, and no failure either
    with caplog.at_level(logging.INFO, logger="policykb"):
        with TestClient(create_app(settings), client=STAFF) as client:
            assert scheduler.EXPIRY_JOB in client.app.state.jobs
    engine.dispose()
    assert "nothing overdue" in caplog.text and "failed" not in caplog.text
