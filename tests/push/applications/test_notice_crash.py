"""Kill -9 the worker while it sends node notices, restart it: none lost, none accepted twice."""

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from kb.config import Settings
from kb.db import create_schema, make_engine, session_scope
from kb.models import Policy, Status
from push.applications.models import Node
from push.applications.service import SYSTEM_HANDLER, advance, create
from push.delivery.models import Push, PushKind, PushStatus, Subscription
from push.firms.models import Firm
from tests.push.push_utils import add_firms
from tests.push.receivers import SmtpReceiver, WebhookReceiver

ROOT = Path(__file__).resolve().parents[3]
FIRMS = 300  # two moves each: 600 notices, half by email, half by webhook
SECRET = "whsec_notice_crash"


def _wait(predicate, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def _worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "kb.cli", "push", "worker", "--id", "notice-crash", "--poll", "0.1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


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

        env = {**os.environ, "KB_HOME": str(settings.home), "KB_INDEX_DIR": str(tmp_path / "idx"),
               "KB_EMBEDDING_MODEL": "none", "KB_SMTP_HOST": "127.0.0.1",
               "KB_SMTP_PORT": str(smtp.controller.port), "KB_SECRET_KEY": "crash",
               "KB_PUSH_DAILY_CAP": "50"}
        env.pop("KB_DATABASE_URL", None)

        def received() -> int:
            return len(smtp.keys) + len(hook.keys)

        first = _worker(env)
        _wait(lambda: received() >= len(keys) // 4, 60, "the first quarter of the notices")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        at_kill = received()
        assert at_kill < len(keys), "the worker finished before it was killed; raise FIRMS"

        def pending() -> int:
            with Session(engine) as session:
                return session.exec(select(func.count()).select_from(Push).where(
                    Push.status != PushStatus.DELIVERED)).one()

        second = _worker(env)
        _wait(lambda: pending() == 0, 120, "the outbox to drain")
        second.send_signal(signal.SIGTERM)
        out, _ = second.communicate(timeout=20)
        assert second.returncode == 0 and "push worker 退出" in out

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
