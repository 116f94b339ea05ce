"""``/healthz`` (the process answers) and ``/readyz`` (it can serve: kb/operations/health.py)."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/healthz")
def healthz() -> JSONResponse:
    """Alive: answered by the process, whatever the state of its database."""
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Ready to serve, or 503 with what is wrong, check by check."""
    found = request.app.state.readiness.check()
    return JSONResponse(found, status_code=200 if found["ready"] else 503, headers=NO_STORE)
