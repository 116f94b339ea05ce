"""Kill -9 the worker mid-batch, restart it: every key arrives, none is accepted twice."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from kb.config import Settings
from kb.db import create_schema, make_engine, session_scope
from push.delivery.models import Push, PushStatus, Subscription
from tests.push.push_utils import add_firms, publish
from tests.push.receivers import SmtpReceiver, WebhookReceiver

ROOT = Path(__file__).resolve().parents[3]
FIRMS = 1000  # half by email, half by webhook
SECRET = "whsec_crash_test"


def _wait(predicate, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def _worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "kb.cli", "push", "worker", "--id", "crash-test", "--poll", "0.1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


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

        env = {**os.environ, "KB_HOME": str(settings.home), "KB_INDEX_DIR": str(tmp_path / "idx"),
               "KB_EMBEDDING_MODEL": "none", "KB_SMTP_HOST": "127.0.0.1",
               "KB_SMTP_PORT": str(smtp.controller.port), "KB_SECRET_KEY": "crash",
               "KB_PUSH_DAILY_CAP": "50", "KB_DATABASE_URL": settings.db_url}

        def received() -> int:
            return len(smtp.keys) + len(hook.keys)

        first = _worker(env)
        _wait(lambda: received() >= FIRMS // 4, 60, "the first quarter of the batch")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        at_kill = received()
        assert at_kill < FIRMS, "the worker finished before it was killed; raise FIRMS"

        def pending() -> int:
            with Session(engine) as session:
                return session.exec(select(func.count()).select_from(Push).where(
                    Push.status != PushStatus.DELIVERED)).one()

        second = _worker(env)
        _wait(lambda: pending() == 0, 120, "the outbox to drain")
        second.send_signal(signal.SIGTERM)  # graceful: finishes its unit, closes, exits 0
        out, _ = second.communicate(timeout=20)
        assert second.returncode == 0 and "push worker 退出" in out

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
