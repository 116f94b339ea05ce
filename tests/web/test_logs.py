"""Request ids and log lines: one id per request, answered and logged; JSON lines on request; the
asker's address only when configured."""

import io
import json
import logging
import logging.config
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kb.operations.logs import LOGGERS, config
from web.app import create_app


@pytest.fixture
def json_logs() -> Iterator[list[str]]:
    """The product's JSON logging for the test (its lines kept here), then the loggers as they
    were."""
    names = (*LOGGERS, "uvicorn.access")
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).propagate,
                 logging.getLogger(n).level) for n in names}
    logging.config.dictConfig(config("json"))
    kept = io.StringIO()
    logging.getLogger("policykb").handlers[0].setStream(kept)
    yield lambda: [json.loads(line) for line in kept.getvalue().splitlines()]
    for name, (handlers, propagate, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers, logger.propagate = handlers, propagate
        logger.setLevel(level)


def test_each_request_has_an_id_answered_and_logged(demo_engine, web_settings, json_logs) -> None:
    with TestClient(create_app(web_settings), client=("203.0.113.9", 4000)) as public:
        mine = public.post("/api/ask", json={"question": "技改贷款贴息比例是多少"},
                           headers={"X-Request-ID": "lb-7f3a"})
        made = public.get("/policies?token=secret-in-a-link")
        odd = public.get("/healthz", headers={"X-Request-ID": "bad id\nforged"})
    assert mine.headers["x-request-id"] == "lb-7f3a"  # the proxy's own id is kept
    assert len(made.headers["x-request-id"]) == 16
    assert odd.headers["x-request-id"] != "bad id\nforged"
    lines = {line.get("request_id"): line for line in json_logs()
             if line["logger"] == "policykb.web"}
    ask = lines["lb-7f3a"]
    assert (ask["method"], ask["path"], ask["status"]) == ("POST", "/api/ask", 200)
    assert "client" not in ask and "203.0.113.9" not in json.dumps(list(lines.values()))
    page = lines[made.headers["x-request-id"]]
    assert page["path"] == "/policies" and "secret-in-a-link" not in json.dumps(page)


def test_the_address_is_logged_only_when_configured(demo_engine, web_settings, json_logs) -> None:
    app = create_app(web_settings.model_copy(update={"log_client_address": True}))
    with TestClient(app, client=("203.0.113.9", 4000)) as public:
        rid = public.get("/healthz").headers["x-request-id"]
    [line] = [x for x in json_logs() if x.get("request_id") == rid]
    assert line["client"] == "203.0.113.9"


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="KB_LOG_FORMAT"):
        config("yaml")
