"""Kill -9 the worker mid-batch, restart it: every key arrives, none is accepted twice."""

import pytest
from sqlmodel import Session, select

from bench.receivers import SmtpReceiver, WebhookReceiver
from kb.config import Settings
from kb.database.db import create_schema, make_engine, session_scope
from push.delivery.models import Push, Subscription
from tests.push.crash_utils import kill_mid_batch_then_drain, worker_env
from tests.push.push_utils import add_firms, publish

FIRMS = 1000  # half by email, half by webhook
SECRET = "whsec_crash_test"

@pytest.mark.slow
def test_sigkill_mid_batch_loses_nothing_and_doubles_nothing(tmp_path):
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
        with session_scope(engine) as session:
            session.add_all(Subscription(firm_id=i, webhook_secret=SECRET) for i in ids)
        publish(engine)
        with Session(engine) as session:
            keys = set(session.exec(select(Push.key)).all())
        assert len(keys) == FIRMS

        env = worker_env(settings, smtp.controller.port)

        def received() -> int:
            return len(smtp.keys) + len(hook.keys)

        at_kill = kill_mid_batch_then_drain(engine=engine, env=env, worker_id="crash-test",
                                            received=received, total=FIRMS)

        got = set(smtp.keys) | set(hook.keys)
        resent = smtp.duplicates + hook.duplicates
        print(f"\ncrash test: {FIRMS} pushes, {at_kill} received before SIGKILL, "
              f"raw re-sends dropped by receivers: {resent}")
        assert got == keys  # none lost
        assert all(n >= 1 for n in [*smtp.keys.values(), *hook.keys.values()])
        assert len(smtp.messages) + len(hook.accepted) == FIRMS  # none accepted twice
        assert resent <= 1  # at most the one unit in flight when the worker died
        assert hook.rejected == []
        engine.dispose()
