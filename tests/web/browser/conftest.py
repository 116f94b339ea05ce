"""Browser fixtures: the real app under uvicorn, a host page on another origin, headless Chromium."""

import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy.engine import Engine

from kb.config import Settings
from kb.database.db import create_schema, make_engine
from tests.conftest import TODAY
from tests.utils.builders import load_demo
from web.app import create_app

# Debian's chromium, installed by .ci/run; Playwright's own browser download is never used.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"
# Generous: a page under a loaded 2-core machine can take seconds to load; waits end as soon as
# the condition holds, so passing tests are no slower.
TIMEOUT_MS = 15000

# A portal stylesheet at its worst: none of this may reach the widget inside its shadow root.
HOSTILE_CSS = """
* { font-size: 30px !important; color: red; margin: 0; padding: 0; line-height: 1.3 !important }
button, textarea, input { all: unset !important; border: 3px dashed red !important }
[role="dialog"], [role="log"], #pkb-panel, #pkb-launcher, .pkb-answer { display: none !important }
body { background: #f3efe6 }
.top { background: #a40000; padding: 12px } .top h1 { color: #fff }
"""

HOST_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>金湖县人民政府</title><style>{css}</style></head>
<body><div class="top"><h1>金湖县人民政府</h1></div>
<nav><a href="#a">首页</a> <a href="#b">政务公开</a> <a href="#c">办事服务</a></nav>
<p id="host-text">金湖县加快科技型企业培育的奖励办法 政策解读</p>
{scripts}
</body></html>"""


def widget_tag(api: str) -> str:
    """The one-line embed tag, exactly as a portal pastes it."""
    return f'<script src="{api}/widget.js" data-title="一企来政策咨询" async></script>'


class _HostHandler(BaseHTTPRequestHandler):
    """Serves the host pages; which widget tags they carry depends on the path."""

    def do_GET(self) -> None:  # noqa: N802
        """The page for the path, or 404."""
        tag = widget_tag(self.server.api)  # type: ignore[attr-defined]
        scripts = {"/": tag, "/plain": "", "/twice": tag + "\n" + tag}.get(self.path)
        if scripts is None:
            self.send_error(404)
            return
        body = HOST_PAGE.format(css=HOSTILE_CSS, scripts=scripts).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet: tests report their own failures."""


@dataclass
class Site:
    """The running app and the host page origins around it."""

    api: str  # the app, e.g. http://127.0.0.1:PORT
    host: str  # host page origin that is in KB_WIDGET_ORIGINS
    other: str  # the same host pages on an origin that is not allowed
    engine: Engine
    settings: Settings = field(repr=False)


def _bound_socket() -> socket.socket:
    # Bound before uvicorn starts, so there is no window in which another process takes the port.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """The demo knowledge base served by the real app, plus a host page server on another port."""
    host_server = ThreadingHTTPServer(("127.0.0.1", 0), _HostHandler)
    host_port = host_server.server_address[1]
    settings = Settings(home=tmp_path / "var", index_dir=tmp_path / "indexes",
                        embedding_model="none", widget_origins=f"http://localhost:{host_port}",
                        validity_today=TODAY)
    settings.ensure_dirs()
    engine = make_engine(settings.db_url)
    create_schema(engine)
    load_demo(engine)

    sock = _bound_socket()
    api = f"http://127.0.0.1:{sock.getsockname()[1]}"
    host_server.api = api  # type: ignore[attr-defined]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning",
                                           timeout_graceful_shutdown=1))
    threads = [threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True),
               threading.Thread(target=host_server.serve_forever, daemon=True)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while not server.started:  # the lifespan builds the search index: usually well under a second
        if not threads[0].is_alive() or time.monotonic() > deadline:
            pytest.fail("the app did not start under uvicorn")
        time.sleep(0.02)
    try:
        yield Site(api=api, host=f"http://localhost:{host_port}",
                   other=f"http://127.0.0.1:{host_port}", engine=engine, settings=settings)
    finally:
        server.should_exit = True
        host_server.shutdown()
        for t in threads:
            t.join(5)
        host_server.server_close()
        sock.close()
        engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium; a missing browser is a failure with the fix, never a silent skip."""
    if not Path(CHROMIUM).exists():
        pytest.fail("browser tests need Debian's chromium at /usr/bin/chromium: "
                    "apt-get install -y --no-install-recommends chromium (.ci/run does this)")
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as pw:
        # --no-sandbox: CI runs as root, where Chromium refuses its sandbox.
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Open pages in fresh contexts (``viewport``, ``permissions`` as for new_context); JS errors fail."""
    contexts, errors = [], []

    def make(**options: object) -> Page:
        ctx = browser.new_context(locale="zh-CN", **options)
        ctx.set_default_timeout(TIMEOUT_MS)
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(exc))
        return page

    yield make
    for ctx in contexts:
        ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """A desktop-sized page."""
    return new_page(viewport={"width": 1280, "height": 800})


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Page], Path]:
    """Save a screenshot named after the test into artifacts/screenshots/."""

    def save(page: Page, suffix: str = "") -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name) + (f"-{suffix}" if suffix else "")
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return save
