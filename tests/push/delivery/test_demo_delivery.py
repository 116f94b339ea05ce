"""``policykb demo`` delivers its pushes: the served app runs the delivery worker in-process, so
a demo firm's in-site inbox has its messages within a minute, and the admin page says so."""

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from kb.config import Settings
from push.delivery.render import Links
from push.demo.firms import FIRST_CODE
from push.matching.synthetic import make_uscc

pytestmark = pytest.mark.no_database  # the demo makes its own SQLite file
SECRET = "demo-delivery-test-key"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _firm_page(home: Path, uscc: str) -> str | None:
    """The firm's signed page, once the demo has registered the firm (read without migrating)."""
    try:
        with closing(sqlite3.connect(f"file:{home / 'policykb.db'}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT id FROM firm WHERE uscc = ?", (uscc,)).fetchone()
    except sqlite3.Error:  # not created yet
        return None
    if row is None:
        return None
    link = Links(settings=Settings(home=home, secret_key=SECRET), firm_id=row[0]).firm_page()
    return link[link.index("/push/firm"):]


def test_demo_pushes_reach_a_firms_inbox_within_a_minute(tmp_path):
    port = _free_port()
    home = tmp_path / "var"
    env = os.environ | {"KB_HOME": str(home), "KB_SECRET_KEY": SECRET, "KB_INDEX_DIR": str(tmp_path / "idx"),
                        "KB_EMBEDDING_MODEL": "none", "PYTHONUNBUFFERED": "1",
                        "KB_PUSH_WORKER": "1"}
    env.pop("KB_DATABASE_URL", None)
    started = time.monotonic()
    log = tmp_path / "demo.log"
    proc = subprocess.Popen([sys.executable, "-m", "kb.cli.main", "demo", "--port", str(port)],
                            env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        page, last = None, ""
        while time.monotonic() - started < 60:
            try:
                page = page or _firm_page(home, make_uscc(FIRST_CODE))
                if page is None:
                    time.sleep(0.5)
                    continue
                res = httpx.get(f"http://127.0.0.1:{port}{page}", timeout=5)
                unread = re.search(r"站内信（(\d+)条未读）", res.text)
                if res.status_code == 200 and unread and int(unread.group(1)) > 0:
                    break
            except httpx.TransportError as exc:
                last = repr(exc)
            time.sleep(1)
        else:
            pytest.fail(f"no in-site message reached the demo firm within a minute ({last});\n"
                        + log.read_text()[-3000:])
        assert "《" in res.text  # a message about a policy, by its title
        seconds = time.monotonic() - started
        assert seconds < 60, seconds
    finally:
        proc.terminate()
        proc.wait(timeout=30)
