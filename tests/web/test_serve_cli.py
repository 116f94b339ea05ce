"""``policykb demo`` / ``policykb serve`` print where every page is, and the pages are there."""

import os
import socket
import subprocess
import sys
import time

import httpx

from web.cli import page_urls


def test_page_urls_name_every_page():
    lines = page_urls(host="127.0.0.1", port=8123)
    for path in ("/policies", "/ask", "/checkup", "/demo", "/agent", "/docs"):
        assert any(f"http://127.0.0.1:8123{path} " in line for line in lines), path
    assert "http://[::1]:80/" in page_urls(host="::1", port=80)[0]
    assert "http://127.0.0.1:80/" in page_urls(host="0.0.0.0", port=80)[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_prints_the_urls_of_a_running_server(tmp_path):
    port = _free_port()
    env = os.environ | {"KB_HOME": str(tmp_path / "var"), "KB_INDEX_DIR": str(tmp_path / "idx"),
                        "KB_EMBEDDING_MODEL": "none", "PYTHONUNBUFFERED": "1"}
    env.pop("KB_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from kb.cli.main import main; "
         f"sys.exit(main(['demo', '--port', '{port}']))"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        urls = []
        deadline = time.monotonic() + 60
        while len(urls) < 6 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if line.strip().startswith("http://"):
                urls.append(line.split()[0])
        assert f"http://127.0.0.1:{port}/policies" in urls and f"http://127.0.0.1:{port}/agent" in urls
        for _ in range(100):
            try:
                res = httpx.get(f"http://127.0.0.1:{port}/policies", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert res.status_code == 200 and "政策文件" in res.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)
