"""Schemathesis over the served OpenAPI document, fixed seed: no server error, every status
documented, every response as its schema, content type and headers say."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.web.test_workers import _free_port

CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_headers_conformance,response_schema_conformance")
SCHEMATHESIS = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")

pytestmark = pytest.mark.slow


def test_the_served_api_keeps_its_document(tmp_path: Path) -> None:
    port = _free_port()
    env = os.environ | {"KB_HOME": str(tmp_path / "var"), "KB_INDEX_DIR": str(tmp_path / "idx"),
                        "KB_EMBEDDING_MODEL": "none", "KB_PUSH_WORKER": "0",
                        # Generated requests come fast from one address: 429s are documented,
                        # but a run of nothing else would test nothing.
                        "KB_ASK_RATE_LIMIT": "1000000", "KB_TRACK_RATE_LIMIT": "1000000"}
    subprocess.run([sys.executable, "-m", "kb.cli", "demo", "--no-serve"], env=env, check=True,
                   capture_output=True)
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "kb.cli", "serve", "--port", str(port)],
                                  env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "Application startup complete" not in log.read_text():
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/openapi.json").status_code == 200
        run = subprocess.run(
            [SCHEMATHESIS, "run", f"http://127.0.0.1:{port}/openapi.json", "--seed", "7",
             "--max-examples", "25", "--checks", CHECKS, "--workers", "1",
             "--report-dir", str(tmp_path / "report")],
            env=env | {"SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1"}, capture_output=True, text=True,
            timeout=600)
        assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
        selected = re.search(r"Selected: (\d+)/(\d+)", run.stdout)
        assert selected and selected[1] == selected[2] and int(selected[1]) >= 18
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
