"""Kill -9 the worker while it sends node notices, restart it: none lost, none accepted twice."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bench.receivers import SmtpReceiver, WebhookReceiver
from kb.config import Settings
from kb.database.db import create_schema, make_engine, session_scope
from kb.models import Policy, Status
from push.applications.models import Node
from push.applications.service import SYSTEM_HANDLER, advance, create
from push.delivery.models import Push, PushKind, Subscription
from push.firms.models import Firm
from tests.push.crash_utils import kill_mid_batch_then_drain, worker_env
from tests.push.push_utils import add_firms

FIRMS = 300  # two moves each: 600 notices, half by email, half by webhook
SECRET = "whsec_notice_crash"


@pytest.mark.slow
def test_sigkill_while_sending_node_notices(tmp_path):
    with SmtpReceiver() as smtp, WebhookReceiver(SECRET) as hook:
        settings = Settings(home=tmp_path / "home", index_dir=tmp_path / "idx",
                            embedding_model="none")
        settings.ensure_dirs()
        engine = make_engine(settings.db_url)
        create_schema(engine)
        ids = add_firms(engine, FIRMS,
                        channels=lambda i: ["email"] if i % 2 == 0 else ["webhook"],
                        contact_email=lambda i: f"firm{i}@example.test",
                        webhook_url=lambda i: f"{hook.url}/hooks/{i}")
        at = datetime.now(UTC) - timedelta(hours=1)
        with session_scope(engine) as session:
            session.add_all(Subscription(firm_id=i, webhook_secret=SECRET) for i in ids)
            policy = Policy(title="金湖县技改设备补助", source_key="t/crash",
                            status=Status.PUBLISHED)
            session.add(policy)
            session.flush()
            for firm in session.exec(select(Firm).order_by(Firm.id)):
                app = create(session=session, handler=SYSTEM_HANDLER, uscc=firm.uscc,
                             policy_id=policy.id, at=at)
                advance(session=session, handler=SYSTEM_HANDLER, ref=app.ref, to=Node.ACCEPTED,
                        at=at + timedelta(minutes=1))
        with Session(engine) as session:
            keys = set(session.exec(select(Push.key).where(
                Push.kind == PushKind.APPLICATION)).all())
        assert len(keys) == 2 * FIRMS

        env = worker_env(settings, smtp.controller.port)

        def received() -> int:
            return len(smtp.keys) + len(hook.keys)

        at_kill = kill_mid_batch_then_drain(engine=engine, env=env, worker_id="notice-crash",
                                            received=received, total=len(keys))

        got = set(smtp.keys) | set(hook.keys)
        resent = smtp.duplicates + hook.duplicates
        print(f"\nnotice crash test: {len(keys)} notices, {at_kill} received before SIGKILL, "
              f"raw re-sends dropped by receivers: {resent}")
        assert got == keys  # none lost
        assert len(smtp.messages) + len(hook.accepted) == len(keys)  # none accepted twice
        assert resent <= 1
        assert hook.rejected == []
        subjects = [m["Subject"] for m in smtp.messages]
        assert any("已受理" in str(s) for s in subjects) and any("已提交" in str(s) for s in subjects)
        engine.dispose()
