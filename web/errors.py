"""One place that maps domain errors to HTTP: JSON under /api, an error page elsewhere."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from kb.errors import InvalidInput, KBError, NotFound, PermissionDenied


def status_of(exc: KBError) -> int:
    """The HTTP status for a domain error."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, InvalidInput):
        return 422
    if isinstance(exc, PermissionDenied):
        return 403
    return 400


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(KBError)
    async def _kb_error(request: Request, exc: KBError) -> Response:
        status = status_of(exc)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.message}, status_code=status)
        return request.app.state.templates.TemplateResponse(
            request, "error.html", {"message": exc.message, "status": status}, status_code=status)
