"""Promised dates skip the shipped holidays and count their weekend working days (调休)."""

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from kb.database.db import session_scope
from kb.staff.models import User
from push.applications.models import Node
from push.applications.service import advance, create, handler_for, moves_of, set_promise
from push.calendar.days import Calendar
from push.calendar.holidays import seed as seed_holidays
from tests.push.applications.app_utils import seed

REGISTERED = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in the county


@pytest.mark.parametrize(("days", "due", "without_holidays"), [
    (1, date(2026, 9, 30), date(2026, 9, 30)),
    (2, date(2026, 10, 8), date(2026, 10, 1)),  # 国庆 10-01..10-07 off
    (4, date(2026, 10, 10), date(2026, 10, 5)),  # Saturday 10-10 a working day (调休)
    (5, date(2026, 10, 12), date(2026, 10, 6)),
])
def test_promise_over_national_day(engine, days, due, without_holidays):
    s = seed(engine)
    with session_scope(engine) as session:
        seed_holidays(session)  # what policykb init loads
        set_promise(session=session, node=Node.SUBMITTED, days=days, policy_id=s.policy_id)
        set_promise(session=session, node=Node.ACCEPTED, days=days, policy_id=s.policy_id)
        clerk = handler_for(session.exec(select(User).where(User.username == "kj-clerk")).one())
        app = create(session=session, handler=clerk, uscc=s.uscc, policy_id=s.policy_id,
                     at=REGISTERED)
        advance(session=session, handler=clerk, ref=app.ref, to=Node.ACCEPTED, at=REGISTERED)
        moves = moves_of(session=session, application_id=app.id)
        assert [(m.node, m.promised_days, m.due) for m in moves] == [
            (Node.SUBMITTED, days, due), (Node.ACCEPTED, days, due)]
        assert moves[-1].know["deadline"] == due.isoformat()  # what the firm is told
    assert Calendar().add(REGISTERED.date(), days) == without_holidays  # the empty calendar's
