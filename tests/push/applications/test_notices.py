"""A move's notice reaches the firm's inbox once, with the node, handler, note and a link."""

from sqlmodel import Session, select

from kb.database.db import session_scope
from kb.models import Policy
from kb.staff.models import AuditEntry, User
from push.applications.models import Application, Node
from push.applications.notify import notify_move
from push.applications.service import advance, create, handler_for, moves_of
from push.delivery.models import InboxMessage, Push
from tests.push.applications.app_utils import seed
from tests.push.push_utils import NOW, make_settings, make_worker


def test_notice_in_inbox_once_per_move(engine, tmp_path):
    s = seed(engine)
    with session_scope(engine) as session:
        clerk = handler_for(session.exec(select(User).where(User.username == "kj-clerk")).one())
        app = create(session=session, handler=clerk, uscc=s.uscc, policy_id=s.policy_id, at=NOW)
        advance(session=session, handler=clerk, ref=app.ref, to=Node.RETURNED, at=NOW,
                note="请补充审计报告")
        ref = app.ref
    with session_scope(engine) as session:  # replaying a move's notice adds nothing
        a = session.exec(select(Application).where(Application.ref == ref)).one()
        last = moves_of(session=session, application_id=a.id)[-1]
        assert notify_move(session=session, application=a, move=last,
                           policy=session.get(Policy, a.policy_id)) == 0
    report = make_worker(engine, make_settings(tmp_path)).run_once(now=NOW)
    assert report.delivered == 2
    with Session(engine) as session:
        inbox = session.exec(select(InboxMessage).order_by(InboxMessage.id)).all()
        assert len(session.exec(select(Push)).all()) == 2
    assert [m.subject for m in inbox] == ["【申报进展】金湖县高新技术企业奖励办法：已提交",
                                          "【申报进展】金湖县高新技术企业奖励办法：退回补正"]
    body = inbox[1].body
    for text in (ref, "经办：赵经办", "说明：请补充审计报告", "补正期限", "/push/firm?token="):
        assert text in body


def test_a_late_move_is_on_record_for_the_department(engine):
    from datetime import timedelta

    s = seed(engine)
    with session_scope(engine) as session:
        clerk = handler_for(session.exec(select(User).where(User.username == "kj-clerk")).one())
        app = create(session=session, handler=clerk, uscc=s.uscc, policy_id=s.policy_id, at=NOW)
        advance(session=session, handler=clerk, ref=app.ref, to=Node.ACCEPTED,
                at=NOW + timedelta(days=10))
    with Session(engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "application.move")).one()
    assert entry.detail["late"] is True and entry.detail["due"] == "2026-11-27"
