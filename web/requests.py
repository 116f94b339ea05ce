"""Each request's id and its one log line (instead of uvicorn's access log).

The id is the proxy's ``X-Request-ID`` when it sends a sane one, else a new one; it is answered in
``X-Request-ID``, set for everything the request runs (kb.operations.logs.REQUEST_ID: log lines, the question
log, the pushes it causes), and written on the request's line. The line names method, path
(never the query string: links carry tokens), status and milliseconds; the client's address only
with KB_LOG_CLIENT_ADDRESS, as a citizen's address is personal data.
"""

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb.operations.logs import REQUEST_ID

log = logging.getLogger("policykb.web")
_SANE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class RequestContext:
    """ASGI middleware: request id, response header, one log line."""

    def __init__(self, app: ASGIApp, *, log_client: bool = False) -> None:
        self.app, self.log_client = app, log_client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = sent if _SANE.match(sent) else uuid.uuid4().hex[:16]
        token = REQUEST_ID.set(request_id)
        started, status = time.perf_counter(), 500

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()),
                                                  (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, answer)
        finally:
            extra = {"method": scope["method"], "path": scope["path"], "status": status,
                     "ms": round((time.perf_counter() - started) * 1000, 1)}
            if self.log_client and scope.get("client"):
                extra["client"] = scope["client"][0]
            log.info("%s %s %s %.1f ms", scope["method"], scope["path"], status, extra["ms"],
                     extra=extra)
            REQUEST_ID.reset(token)
