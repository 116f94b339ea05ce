"""Kill -9 a push worker mid-batch and restart it: the steps both crash tests share."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from kb.config import Settings
from push.delivery.models import Push, PushStatus

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``predicate`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def worker_env(settings: Settings, smtp_port: int) -> dict:
    """The environment of a worker process on the test's own database and SMTP receiver."""
    return {**os.environ, "KB_HOME": str(settings.home), "KB_INDEX_DIR": str(settings.index_dir),
            "KB_EMBEDDING_MODEL": "none", "KB_SMTP_HOST": "127.0.0.1",
            "KB_SMTP_PORT": str(smtp_port), "KB_SECRET_KEY": "crash",
            "KB_PUSH_DAILY_CAP": "50", "KB_DATABASE_URL": settings.db_url}


def _worker(env: dict, worker_id: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "kb.cli", "push", "worker", "--id", worker_id, "--poll", "0.1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def kill_mid_batch_then_drain(*, engine: Engine, env: dict, worker_id: str,
                              received: Callable[[], int], total: int) -> int:
    """SIGKILL a worker a quarter of the way through, restart it until the outbox is empty, stop
    it gracefully; returns how many had arrived at the kill."""
    first = _worker(env, worker_id)
    wait_for(lambda: received() >= total // 4, 60, "the first quarter of the batch")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    at_kill = received()
    assert at_kill < total, "the worker finished before it was killed; raise the batch size"

    def pending() -> int:
        with Session(engine) as session:
            return session.exec(select(func.count()).select_from(Push).where(
                Push.status != PushStatus.DELIVERED)).one()

    second = _worker(env, worker_id)
    wait_for(lambda: pending() == 0, 120, "the outbox to drain")
    second.send_signal(signal.SIGTERM)  # graceful: finishes its unit, closes, exits 0
    out, _ = second.communicate(timeout=20)
    assert second.returncode == 0 and "push worker 退出" in out
    return at_kill
