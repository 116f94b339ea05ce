"""Security headers on every response; a Content-Security-Policy on the product's own pages."""

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No inline script anywhere on the product's pages; styles may be inline (style attributes).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")
HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
           "Referrer-Policy": "strict-origin-when-cross-origin"}
# Swagger UI / ReDoc (served from packaged assets) start with inline script: no CSP there.
NO_CSP = ("/docs", "/redoc")


def install(app: FastAPI) -> None:
    """Add the headers to every response."""
    app.add_middleware(SecurityHeaders)


class SecurityHeaders:
    """Plain ASGI middleware (``@app.middleware("http")`` would stream every response through
    a task group, a measurable part of a fast answer's time)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        own_page = not scope["path"].startswith(NO_CSP)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if own_page and headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", CSP)
            await send(message)

        await self.app(scope, receive, send_with_headers)
