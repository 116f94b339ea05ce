"""Schemathesis over the served OpenAPI document, fixed seed: no server error, every status
documented, every response as its schema, content type and headers say."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.utils import servers

CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_headers_conformance,response_schema_conformance")
SCHEMATHESIS = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")

pytestmark = pytest.mark.slow


def test_the_served_api_keeps_its_document(tmp_path: Path) -> None:
    # Generated requests come fast from one address: 429s are documented, but a run of nothing
    # else would test nothing.
    env = servers.cli_env(tmp_path, KB_ASK_RATE_LIMIT="1000000", KB_TRACK_RATE_LIMIT="1000000")
    servers.policykb(env, "demo", "--no-serve")
    port = servers.free_port()
    server = servers.serve(env, port, tmp_path / "serve.log")
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/openapi.json").status_code == 200
        run = subprocess.run(
            [SCHEMATHESIS, "run", f"http://127.0.0.1:{port}/openapi.json", "--seed", "7",
             "--max-examples", "25", "--checks", CHECKS, "--workers", "1",
             "--report-dir", str(tmp_path / "report")],
            env=env | {"NO_COLOR": "1"}, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
        selected = re.search(r"Selected: (\d+)/(\d+)", run.stdout)
        assert selected and selected[1] == selected[2] and int(selected[1]) >= 18
    finally:
        servers.stop(server)
