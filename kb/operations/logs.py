"""One logging set-up for kb, push and web: text by default, JSON lines with KB_LOG_FORMAT=json,
and the id of the request being served on every line it causes.

The request id lives in a context variable: web sets it for each request (web/requests.py), the
threads a request runs in inherit it, and the question log and the pushes a request causes store
it, so one id leads from the access line to the question and to the messages sent.
"""

import json
import logging
import logging.config
from contextvars import ContextVar
from datetime import UTC, datetime

REQUEST_ID: ContextVar[str | None] = ContextVar("policykb_request_id", default=None)
LOGGERS = ("policykb", "uvicorn", "uvicorn.error")
FORMATS = ("text", "json")


def current_request_id() -> str | None:
    """The id of the request this code runs for (None outside a request)."""
    return REQUEST_ID.get()


class RequestIdFilter(logging.Filter):
    """Gives every record ``request_id`` (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:  # noqa: D102
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, and extra fields."""

    SKIP = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
        "message", "request_id", "color_message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:  # noqa: D102
        line = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage(),
                "request_id": getattr(record, "request_id", None)}
        line |= {k: v for k, v in record.__dict__.items() if k not in self.SKIP}
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def config(fmt: str = "text", level: str = "INFO") -> dict:
    """A ``logging.config.dictConfig`` for the product's loggers and uvicorn's (``serve``)."""
    if fmt not in FORMATS:
        raise ValueError(f"KB_LOG_FORMAT must be one of {', '.join(FORMATS)} (got {fmt!r})")
    formatter = ({"()": JsonFormatter} if fmt == "json" else
                 {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"})
    return {
        "version": 1, "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"policykb": formatter},
        "handlers": {"policykb": {"class": "logging.StreamHandler", "formatter": "policykb",
                                  "filters": ["request_id"], "stream": "ext://sys.stderr"}},
        "loggers": {name: {"handlers": ["policykb"], "level": level, "propagate": False}
                    for name in LOGGERS} | {"uvicorn.access": {"handlers": [], "propagate": False}},
    }


def setup(fmt: str = "text", level: str = "INFO") -> None:
    """Configure logging for this process (the CLI's long-running commands, the web app)."""
    logging.config.dictConfig(config(fmt, level))
