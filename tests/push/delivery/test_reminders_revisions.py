"""Deadline reminders (14 and 3 days before, once, not after 已申报) and revision notices."""

from datetime import UTC, date, datetime, timedelta

from bench.receivers import WebhookReceiver
from kb.database.db import session_scope
from kb.events import EventKind
from push.delivery.outbox import create_reminders
from push.delivery.subscriptions import mark_policy
from tests.push.push_utils import (
    NOW,
    add_firms,
    make_settings,
    make_worker,
    publish,
    pushes,
    revise,
    secret_lookup,
)

CLOSES = date(2026, 12, 31)


def _day(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 2, 0, tzinfo=UTC)  # 10:00 Shanghai


def _remind(engine, today: date) -> int:
    with session_scope(engine) as session:
        return create_reminders(session=session, today=today)


def test_reminders_fire_14_and_3_days_before_once_and_not_after_applied(engine, tmp_path):
    told = add_firms(engine, 3)
    pid = publish(engine, apply_from=date(2026, 11, 1), apply_to=CLOSES)
    worker = make_worker(engine, make_settings(tmp_path))
    worker.run_once(now=NOW)
    late = add_firms(engine, 1, start=50)[0]  # registered later: never told, never reminded
    with session_scope(engine) as session:
        mark_policy(session=session, firm_id=told[2], policy_id=pid, mark="applied")
    fired = {}
    day = date(2026, 12, 1)
    while day <= CLOSES:
        fired[day] = _remind(engine, day)
        worker.run_once(now=_day(day))
        day += timedelta(days=1)
    assert {d: n for d, n in fired.items() if n} == {date(2026, 12, 17): 2, date(2026, 12, 28): 2}
    assert _remind(engine, date(2026, 12, 17)) == 0  # not twice
    reminders = [p for p in pushes(engine) if p.kind.startswith("reminder")]
    assert sorted((p.firm_id, p.kind) for p in reminders) == sorted(
        (f, k) for f in told[:2] for k in ("reminder14", "reminder3"))
    assert all(p.status == "delivered" for p in reminders) and late not in {p.firm_id for p in reminders}
    assert reminders[0].key.endswith("-reminder14") and "还剩14天" in reminders[0].reasons[0]


def test_a_running_worker_makes_reminders_at_once_on_a_machine_booted_seconds_ago(
        engine, tmp_path, monkeypatch):
    import threading
    import time

    from push.delivery.clock import local_today

    add_firms(engine, 2)
    publish(engine, apply_from=date(2026, 11, 1), apply_to=local_today() + timedelta(days=14))
    worker = make_worker(engine, make_settings(tmp_path))
    worker.run_once()  # the firms are told first
    monkeypatch.setattr(time, "monotonic", lambda: 0.5)
    stop = threading.Event()
    worker.run(stop=stop, poll_s=0, on_pass=lambda report: stop.set())
    assert sorted(p.kind for p in pushes(engine) if p.kind.startswith("reminder")) == [
        "reminder14", "reminder14"]


def test_marking_after_a_reminder_is_queued_cancels_it(engine, tmp_path):
    [firm] = add_firms(engine, 1)
    pid = publish(engine, apply_to=CLOSES)
    worker = make_worker(engine, make_settings(tmp_path))
    worker.run_once(now=NOW)
    assert _remind(engine, date(2026, 12, 28)) == 1
    with session_scope(engine) as session:
        mark_policy(session=session, firm_id=firm, policy_id=pid, mark="not_applicable")
    assert worker.run_once(now=_day(date(2026, 12, 28))).delivered == 0
    [reminder] = [p for p in pushes(engine) if p.kind == "reminder3"]
    assert reminder.status == "cancelled"


def test_revision_goes_only_to_firms_told_about_an_earlier_version(engine, tmp_path):
    with WebhookReceiver(secret_lookup(engine)) as hook:
        told = add_firms(engine, 2, channels=["webhook"], webhook_url=hook.url + "/h")
        pid = publish(engine, industries_include=["39"])
        worker = make_worker(engine, make_settings(tmp_path))
        worker.run_once(now=NOW)
        newcomer = add_firms(engine, 1, start=70)[0]  # fits, registered after v1 went out
        outsider = add_firms(engine, 1, start=80, industry_code="0111")[0]  # fits only v2
        never = add_firms(engine, 1, start=90, industry_code="4411")[0]  # fits neither
        revise(engine, pid, changes=["申报条件", "有效期"], industries_include=["39", "A"])
        worker.run_once(now=NOW + timedelta(minutes=5))
        v2 = {(p.firm_id, p.kind) for p in pushes(engine) if p.version == 2}
        assert v2 == {(told[0], "revised"), (told[1], "revised"), (newcomer, "new"),
                      (outsider, "new")}
        assert never not in {p.firm_id for p in pushes(engine)}
        notices = [d for d in hook.accepted if d["type"] == "policy.revised"]
        assert len(notices) == 2 and notices[0]["items"][0]["changes"] == ["申报条件", "有效期"]
        assert hook.rejected == []


def test_revision_notice_text_lists_what_changed_and_supersession_names_successor(engine, tmp_path):
    from sqlmodel import Session, select

    from push.delivery.models import InboxMessage

    [firm] = add_firms(engine, 1)
    pid = publish(engine, title="旧政策")
    worker = make_worker(engine, make_settings(tmp_path))
    worker.run_once(now=NOW)
    revise(engine, pid, changes=["申报条件", "有效期"])
    worker.run_once(now=NOW + timedelta(minutes=1))
    successor = publish(engine, title="新政策（2027版）", now=NOW + timedelta(minutes=2))
    revise(engine, pid, changes=["已被新政策替代"], kind=EventKind.SUPERSEDED,
           successor_id=successor)
    worker.run_once(now=NOW + timedelta(minutes=3))
    with Session(engine) as session:
        bodies = [m.body for m in session.exec(select(InboxMessage).order_by(InboxMessage.id))]
    assert "本次变更：申报条件、有效期" in bodies[1] and "【政策更新】旧政策" in bodies[1]
    superseded = next(b for b in bodies if "【政策替代】" in b)
    assert "该政策已被新政策替代：新政策（2027版）" in superseded
    assert f"/policies/{successor}" in superseded
    kinds = sorted((p.policy_id, p.kind) for p in pushes(engine) if p.status == "delivered")
    assert kinds == [(pid, "new"), (pid, "revised"), (pid, "superseded"), (successor, "new")]
