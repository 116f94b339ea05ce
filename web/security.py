"""Security headers on every response; a Content-Security-Policy on the product's own pages."""

from fastapi import FastAPI, Request

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

    @app.middleware("http")
    async def _security_headers(request: Request, call_next):  # noqa: ANN001, ANN202
        response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        html = response.headers.get("content-type", "").startswith("text/html")
        if html and not request.url.path.startswith(NO_CSP):
            response.headers.setdefault("Content-Security-Policy", CSP)
        return response
