"""Working days follow the county's calendar; a node past its promise is overdue."""

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from kb.database.db import session_scope
from kb.staff.models import User
from push.applications.models import Node
from push.applications.service import advance, create, handler_for, set_promise
from push.applications.views import queue, track
from push.calendar.days import Calendar, set_day
from tests.push.applications.app_utils import seed


@pytest.mark.parametrize(("start", "n", "due"), [
    (date(2026, 9, 25), 1, date(2026, 9, 28)),  # Friday + 1 → Monday
    (date(2026, 9, 28), 0, date(2026, 9, 28)),
    (date(2026, 9, 30), 1, date(2026, 10, 9)),  # National Day week off, 10-09 a working Friday
    (date(2026, 10, 9), 1, date(2026, 10, 10)),  # Saturday 10-10 made a working day (调休)
])
def test_working_days_follow_holidays_and_adjusted_weekends(start, n, due):
    holidays = {date(2026, 10, d): False for d in range(1, 9)} | {date(2026, 10, 10): True}
    assert Calendar(holidays).add(start, n) == due


def test_between_counts_working_days_after_start():
    cal = Calendar({date(2026, 10, 1): False})
    assert cal.between(date(2026, 9, 28), date(2026, 10, 2)) == 3  # Tue, Wed, Fri
    assert cal.between(date(2026, 10, 2), date(2026, 9, 28)) == 0


def _at(day: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, 2, 0, tzinfo=UTC)  # 10:00 in the county


def test_overdue_node_is_flagged_and_queued_first(engine):
    s = seed(engine)
    with session_scope(engine) as session:
        clerk = handler_for(session.exec(select(User).where(User.username == "kj-clerk")).one())
        set_day(session=session, day=date(2026, 11, 4), workday=False, name="测试假日")
        set_promise(session=session, node=Node.ACCEPTED, days=2, policy_id=s.policy_id)
        late = create(session=session, handler=clerk, uscc=s.uscc, policy_id=s.policy_id,
                      at=_at(2))  # Monday
        move = advance(session=session, handler=clerk, ref=late.ref, to=Node.ACCEPTED,
                       at=_at(3))
        # Two working days after Tuesday 11-03, with Wednesday 11-04 off: Friday 11-06.
        assert move.due == date(2026, 11, 6) and move.promised_days == 2
        fresh = create(session=session, handler=clerk, uscc=s.other_uscc, policy_id=s.policy_id,
                       at=_at(6))
        on_time = track(session=session, application=late, today=date(2026, 11, 6))
        assert not on_time.overdue and on_time.steps[-1].actual_days == 2
        t = track(session=session, application=late, today=date(2026, 11, 9))
        assert t.overdue and t.steps[-1].actual_days == 3
        assert not t.steps[0].overdue  # accepted the next day: within the one day promised
        order = [x.application.ref for x in queue(session=session, department_id=None,
                                                  today=date(2026, 11, 9))]
        assert order == [late.ref, fresh.ref]
        # Submitted on Friday with one working day promised: due Monday, late on Tuesday.
        assert not queue(session=session, department_id=None, today=date(2026, 11, 9))[1].overdue
        assert all(x.overdue for x in queue(session=session, department_id=None,
                                            today=date(2026, 11, 10)))
