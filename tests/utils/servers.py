"""Real servers for tests: ``policykb serve`` in its own process, started and stopped cleanly."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli_env(folder: Path, **settings: str) -> dict[str, str]:
    """The environment of a CLI or server process over a fresh data folder in ``folder``."""
    env = os.environ | {"KB_HOME": str(folder / "var"), "KB_INDEX_DIR": str(folder / "idx"),
                        "KB_EMBEDDING_MODEL": "none", "KB_PUSH_WORKER": "0"} | settings
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


def policykb(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    """Run ``policykb ARGS`` to completion (failing the test if it fails)."""
    subprocess.run([sys.executable, "-m", "kb.cli", *args], env=env, input=stdin, text=True,
                   check=True, capture_output=True)


def serve(env: dict[str, str], port: int, log: Path, workers: int = 1,
          timeout_s: float = 90) -> subprocess.Popen:
    """``policykb serve`` on ``port``, returned once every worker has started."""
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "kb.cli", "serve", "--port", str(port),
                                 "--workers", str(workers)], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout_s
    while log.read_text().count("Application startup complete") < workers:
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise AssertionError(f"policykb serve did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    return proc


def stop(proc: subprocess.Popen, sig: int = signal.SIGINT) -> None:
    """Stop ``proc`` as an operator would (``sig``), killing it after 30 s."""
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
