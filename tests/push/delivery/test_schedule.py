"""Quiet hours and the daily cap defer (never drop); digests batch a period into one message."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bench.receivers import SmtpReceiver
from kb.database.db import session_scope
from push.delivery.clock import digest_slot, quiet_until
from push.delivery.models import Digest, InboxMessage
from push.delivery.subscriptions import update_subscription
from tests.push.push_utils import add_firms, make_settings, make_worker, publish, pushes


def at(local_hhmm: str, day: int = 26) -> datetime:
    """A UTC moment given as Asia/Shanghai wall-clock time on 2026-11-<day>."""
    h, m = map(int, local_hhmm.split(":"))
    return datetime(2026, 11, day, h, m, tzinfo=UTC) - timedelta(hours=8)


def _subscribe(engine, firm_id, **kw):
    kw = {"themes": [], "channels": ["inbox"], "frequency": "immediate", "quiet_start": None,
          "quiet_end": None, **kw}
    with session_scope(engine) as session:
        update_subscription(session=session, firm_id=firm_id, **kw)


@pytest.mark.parametrize(("now", "ends"), [
    ("23:30", at("08:00", 27)), ("03:00", at("08:00")), ("22:00", at("08:00", 27)),
    ("08:00", None), ("12:00", None), ("21:59", None),
])
def test_quiet_until_across_midnight(now, ends):
    assert quiet_until(at(now), "22:00", "08:00") == ends


def test_quiet_hours_defer_until_they_end(engine, tmp_path):
    [firm] = add_firms(engine, 1)
    _subscribe(engine, firm, quiet_start="22:00", quiet_end="08:00")
    publish(engine, now=at("23:00"))
    worker = make_worker(engine, make_settings(tmp_path))
    report = worker.run_once(now=at("23:00"))
    [row] = pushes(engine)
    assert report.deferred == 1 and report.delivered == 0
    assert row.status == "pending" and row.due_at == at("08:00", 27) and "免打扰" in row.last_error
    assert worker.run_once(now=at("07:59", 27)).delivered == 0
    assert worker.run_once(now=at("08:00", 27)).delivered == 1


def test_daily_cap_defers_the_excess_to_the_next_day(engine, tmp_path):
    [firm] = add_firms(engine, 1)
    for n in range(5):
        publish(engine, title=f"政策{n}", now=at("10:00"))
    worker = make_worker(engine, make_settings(tmp_path, push_daily_cap=3))
    report = worker.run_once(now=at("10:00"))
    assert report.delivered == 3 and report.deferred >= 1
    rows = pushes(engine)
    waiting = [r for r in rows if r.status == "pending"]
    assert len(waiting) == 2 and all(r.due_at == at("00:00", 27) for r in waiting)
    assert all("每日上限3条" in r.last_error for r in waiting)
    assert worker.run_once(now=at("23:59")).delivered == 0
    assert worker.run_once(now=at("00:01", 27)).delivered == 2
    assert {r.status for r in pushes(engine)} == {"delivered"}


def test_daily_digest_batches_a_days_pushes_into_one_message_per_channel(engine, tmp_path):
    with SmtpReceiver() as smtp:
        [firm] = add_firms(engine, 1, channels=["email", "inbox"], contact_email="d@firm.test")
        _subscribe(engine, firm, frequency="daily", channels=["email", "inbox"])
        for n, hhmm in enumerate(("09:00", "13:00", "20:00")):
            publish(engine, title=f"汇总政策{n}", now=at(hhmm))
        late = publish(engine, title="次日政策", now=at("09:00", 27))
        settings = make_settings(tmp_path, smtp_host="127.0.0.1", smtp_port=smtp.controller.port)
        worker = make_worker(engine, settings)
        assert worker.run_once(now=at("21:00")).delivered == 0  # nothing before the slot
        report = worker.run_once(now=at("08:00", 27))
        assert report.delivered == 2  # one email digest, one inbox digest
        [mail] = smtp.messages
        assert "每日汇总" in mail["Subject"] and "3条" in mail["Subject"]
        text = mail.get_body(("plain",)).get_content()
        assert all(f"汇总政策{n}" in text for n in range(3)) and "次日政策" not in text
        with Session(engine) as session:
            digests = session.exec(select(Digest)).all()
            [inbox] = session.exec(select(InboxMessage)).all()
        assert len(digests) == 2 and all(d.status == "delivered" for d in digests)
        assert mail["X-PolicyKB-Idempotency-Key"] == next(d.key for d in digests
                                                          if d.channel == "email")
        assert len(inbox.push_ids) == 3
        rows = [r for r in pushes(engine) if r.policy_id != late]
        assert len(rows) == 6 and all(r.status == "delivered" and r.digest_id for r in rows)
        assert worker.run_once(now=at("09:00", 27)).delivered == 0  # the next one waits
        assert worker.run_once(now=at("08:00", 28)).delivered == 2
        assert len(smtp.messages) == 2 and smtp.duplicates == 0


def test_weekly_digest_goes_out_on_monday_morning():
    thursday = at("10:00")  # 2026-11-26 is a Thursday
    assert digest_slot(thursday, weekly=True) == at("08:00", 30)
    assert digest_slot(thursday, weekly=False) == at("08:00", 27)
