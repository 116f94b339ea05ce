"""Application look-ups: public /track (ref plus the credit code's last 6) and the hotline's."""

import math
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from sqlmodel import Session

from kb.errors import NotFound, TooManyAttempts
from kb.staff.models import Role
from push.applications.views import lookup, public_lookup, read_out
from web.auth import staff_only
from web.clients import client_address
from web.deps import SettingsDep, TemplatesDep, get_session

# The hotline and the departments' handlers read applications out; they sign in for it.
_HOTLINE = staff_only(Role.AGENT, Role.HANDLER, Role.ADMIN)

router = APIRouter()
# One answer for "no such application" and "wrong code", so the page tells a guesser nothing.
NOT_FOUND = "未查到相符的申报。请核对申报编号和统一社会信用代码后6位；如仍有疑问，请拨打{hotline}咨询。"


def _render(request: Request, templates: Jinja2Templates, context: dict) -> HTMLResponse:
    base = {"ref": "", "found": None, "message": None}
    return templates.TemplateResponse(request, "track.html", base | context)


@router.get("/track", response_class=HTMLResponse)
def track_form(request: Request, templates: TemplatesDep) -> HTMLResponse:
    """The look-up form."""
    return _render(request, templates, {})


def _throttle(request: Request) -> None:
    wait = request.app.state.track_limiter.hit(client_address(request))
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise TooManyAttempts(f"查询过于频繁，请{math.ceil(seconds / 60)}分钟后再试。", seconds)


@router.post("/track", response_class=HTMLResponse)
def track_lookup(
    request: Request, session: Annotated[Session, Depends(get_session, scope="function")],
    settings: SettingsDep, templates: TemplatesDep,
    ref: Annotated[str, Form(max_length=40)] = "", code: Annotated[str, Form(max_length=40)] = "",
) -> HTMLResponse:
    """The application's public timeline, or the neutral message; throttled per client."""
    _throttle(request)
    found = public_lookup(session=session, ref=ref, code_tail=code)
    hotline = settings.hotline
    return _render(request, templates, {
        "ref": ref, "found": found,
        "message": None if found else NOT_FOUND.format(hotline=hotline)})


class TrackIn(BaseModel):
    """A public look-up: the tracking number and the credit code's last 6 characters."""

    ref: str = Field(max_length=40)
    code: str = Field(max_length=40)


@router.post("/api/track", tags=["申报进度"], responses={
    404: {"description": "未查到（编号不存在与信用代码不符的答复相同）"},
    429: {"description": "查询过于频繁（带 Retry-After 头）"}})
def api_track(body: TrackIn, request: Request,
              session: Annotated[Session, Depends(get_session, scope="function")],
              settings: SettingsDep) -> dict:
    """The application's public timeline (no firm data), the same as the /track page."""
    _throttle(request)
    found = public_lookup(session=session, ref=body.ref, code_tail=body.code)
    if found is None:
        raise NotFound(NOT_FOUND.format(hotline=settings.hotline))
    return found.to_dict(private=False)


@router.get("/agent/applications", response_class=HTMLResponse, include_in_schema=False,
            dependencies=[Depends(_HOTLINE)])
def agent_lookup_page(request: Request, session: Annotated[Session, Depends(get_session,
                                                                            scope="function")],
                      templates: TemplatesDep, q: str = "") -> HTMLResponse:
    """The hotline's look-up by tracking number or credit code, with the words to read out."""
    found = lookup(session=session, text=q) if q.strip() else []
    return templates.TemplateResponse(request, "agent_applications.html", {
        "q": q, "found": found, "scripts": {t.application.ref: read_out(t) for t in found},
        "show_amounts": True})


@router.get("/api/agent/applications", tags=["坐席"], dependencies=[Depends(_HOTLINE)])
def agent_lookup(session: Annotated[Session, Depends(get_session, scope="function")],
                 q: str = "") -> dict:
    """Applications found by tracking number or credit code, each with its read-out script."""
    found = lookup(session=session, text=q) if q.strip() else []
    return {"q": q, "items": [t.to_dict() | {"script": read_out(t)} for t in found]}
