"""Several web workers on one database: schema made once, each scheduled period's job run once."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

WORKERS = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(tmp_path: Path, port: int, **extra: str) -> subprocess.Popen:
    env = os.environ | {"KB_HOME": str(tmp_path / "var"), "KB_INDEX_DIR": str(tmp_path / "idx"),
                        "KB_EMBEDDING_MODEL": "none", "PYTHONUNBUFFERED": "1"} | extra
    log = open(tmp_path / f"serve-{port}.log", "w")  # noqa: SIM115 (closed by _stop)
    return subprocess.Popen(
        [sys.executable, "-c", "import sys; from kb.cli.main import main; "
         f"sys.exit(main(['serve', '--port', '{port}', '--workers', '{WORKERS}']))"],
        env=env, stdout=log, stderr=subprocess.STDOUT, text=True)


def _started(proc: subprocess.Popen, log_path, port: int, timeout_s: float = 90) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        text = log_path.read_text()
        if text.count("Application startup complete") >= WORKERS:
            res = httpx.get(f"http://127.0.0.1:{port}/policies", timeout=5)
            assert res.status_code == 200
            return text
        time.sleep(0.2)
    raise AssertionError(f"{WORKERS} workers did not start:\n{log_path.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_four_workers_run_the_validity_job_once_per_period(tmp_path):
    port = _free_port()
    proc = _serve(tmp_path, port, KB_VALIDITY_EVERY_S="2")
    log_path = tmp_path / f"serve-{port}.log"
    try:
        _started(proc, log_path, port)
        time.sleep(12)
    finally:
        _stop(proc)
    text = log_path.read_text()
    runs = Counter(re.findall(r"validity expiry \S+ \(period (every-2s-\d+)\)", text))
    assert len(runs) >= 4, text[-3000:]  # about one period every 2 s while it ran
    assert set(runs.values()) == {1}, runs  # never twice in one period, whatever the workers
    assert "ERROR" not in text and "Traceback" not in text and "failed" not in text, text[-3000:]


@pytest.mark.slow
def test_four_workers_start_cleanly_on_an_empty_database_again_and_again(tmp_path):
    from tests.utils import databases

    for attempt in range(3):  # bench/cluster.py --starts 10 does it ten times
        url = databases.create_database(migrated=False) if databases.on_postgres() else None
        extra = {"KB_DATABASE_URL": url} if url else {"KB_HOME": str(tmp_path / f"var{attempt}")}
        port = _free_port()
        proc = _serve(tmp_path, port, **extra)
        try:
            text = _started(proc, tmp_path / f"serve-{port}.log", port)
        finally:
            _stop(proc)
            if url:
                databases.drop_database(url)
        assert "ERROR" not in text and "Traceback" not in text, text[-3000:]
