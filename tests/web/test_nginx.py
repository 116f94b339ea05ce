"""Debian's nginx, with deploy/nginx.conf as shipped, in front of ``policykb serve --workers 2``:
the app sees the real client, a forged X-Forwarded-For names nobody, the staff network holds,
and uploads beyond the configured size stop at the proxy.

Clients connect from 127.0.0.2 and 127.0.0.3 (loopback aliases), nginx from 127.0.0.1, the one
trusted proxy: so the proxy's hop and a visitor's can be told apart on one machine.
"""

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.utils import servers
from tests.web.staff import csrf_of

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
SITE = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"
VISITOR, STAFF = "127.0.0.2", "127.0.0.3"
PASSWORD = "correct horse battery staple 1"

pytestmark = pytest.mark.slow


def _main_conf(folder: Path, site: Path) -> str:
    user = "user root;" if os.geteuid() == 0 else ""  # workers must write the temp folders here
    temps = " ".join(f"{kind}_temp_path {folder / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"{user}\nworker_processes 1;\nerror_log {folder / 'error.log'};\n"
            f"pid {folder / 'nginx.pid'};\nevents {{ worker_connections 256; }}\n"
            f"http {{\n access_log {folder / 'access.log'};\n {temps}\n include {site};\n}}\n")


def _wait_until(check: Callable[[], object], what: str, log: Path | None = None,
                timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"{what}:\n{log.read_text()[-3000:] if log else ''}"
        time.sleep(0.2)


@pytest.fixture
def behind_nginx(tmp_path: Path) -> Iterator[str]:
    """The served app behind nginx; yields nginx's base URL."""
    assert NGINX, "nginx is not installed (apt-get install nginx; .ci/run does)"
    env = servers.cli_env(tmp_path, KB_TRUSTED_PROXIES="127.0.0.1",
                          KB_STAFF_NETWORKS=f"{STAFF}/32", KB_ASK_RATE_LIMIT="3",
                          KB_ASK_RATE_WINDOW_S="600")
    servers.policykb(env, "user", "add", "agent1", "--name", "坐席甲", "--department", "县政务办",
                     "--role", "agent", "--password-stdin", stdin=PASSWORD)
    app_port, proxy_port = servers.free_port(), servers.free_port()
    app = servers.serve(env, app_port, tmp_path / "serve.log", workers=2)
    folder = tmp_path / "nginx"
    folder.mkdir()
    site = folder / "policykb.conf"
    text = SITE.read_text().replace("127.0.0.1:8000", f"127.0.0.1:{app_port}")
    site.write_text(re.sub(r"listen 80;", f"listen 127.0.0.1:{proxy_port};", text))
    (folder / "nginx.conf").write_text(_main_conf(folder, site))
    proxy = None
    try:
        proxy = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"),
                                  "-g", "daemon off;"], stderr=subprocess.STDOUT,
                                 stdout=(folder / "nginx.out").open("w"))
        base = f"http://127.0.0.1:{proxy_port}"
        _wait_until(lambda: _reachable(f"{base}/healthz"), "nginx did not start",
                    folder / "nginx.out")
        yield base
    finally:
        if proxy is not None:
            servers.stop(proxy, signal.SIGQUIT)  # nginx's graceful stop
        servers.stop(app)


def _reachable(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def client_from(address: str, base: str) -> httpx.Client:
    """A client whose connections leave from ``address``."""
    return httpx.Client(base_url=base, timeout=30,
                        transport=httpx.HTTPTransport(local_address=address))


def test_the_app_sees_the_real_client_behind_nginx(behind_nginx: str) -> None:
    ask = {"question": "企业技术改造有什么补贴"}
    with client_from(VISITOR, behind_nginx) as visitor, client_from(STAFF, behind_nginx) as other:
        forged = {"X-Forwarded-For": "10.9.8.7", "X-Real-IP": "10.9.8.7"}
        # One bucket per real client: a forged header neither escapes the visitor's bucket ...
        for n in range(3):
            headers = forged if n % 2 else {"X-Forwarded-For": f"10.0.0.{n}"}
            assert visitor.post("/api/ask", json=ask, headers=headers).status_code == 200
        limited = visitor.post("/api/ask", json=ask, headers={"X-Forwarded-For": "10.0.0.99"})
        assert limited.status_code == 429 and "retry-after" in limited.headers
        # ... nor lands in another client's: the other address still has its three questions.
        assert other.post("/api/ask", json=ask).status_code == 200


def test_staff_network_rules_hold_behind_nginx(behind_nginx: str) -> None:
    with client_from(STAFF, behind_nginx) as staff:
        form = staff.get("/admin/login")
        signed = staff.post("/admin/login", data={"username": "agent1", "password": PASSWORD,
                                                  "csrf_token": csrf_of(form.text)})
        assert signed.status_code in (200, 303)
        assert staff.get("/api/agent/panels").status_code == 200
        cookies = dict(staff.cookies)
    with client_from(VISITOR, behind_nginx) as visitor:
        visitor.cookies.update(cookies)
        assert visitor.get("/api/agent/panels").status_code == 403  # signed in, off the network
        posing = visitor.get("/api/agent/panels", headers={"X-Forwarded-For": STAFF,
                                                           "X-Real-IP": STAFF})
        assert posing.status_code == 403  # claiming the staff address through the proxy


def test_large_uploads_stop_at_the_proxy(behind_nginx: str) -> None:
    with client_from(VISITOR, behind_nginx) as visitor:
        big = visitor.post("/admin/applications/import", content=b"x" * (33 * 1024 * 1024),
                           headers={"Content-Type": "text/csv"})
        assert big.status_code == 413
        assert visitor.get("/healthz").status_code == 200  # the workers never saw it
