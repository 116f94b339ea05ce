"""Push pages a firm opens from a message: one-click unsubscribe, tracked links, its own page."""

import base64
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from kb.config import Settings
from kb.errors import InvalidInput
from push.delivery.models import MARK_LABELS, Frequency
from push.delivery.subscriptions import (
    mark_policy,
    unsubscribe,
    update_subscription,
    webhook_secret,
)
from push.delivery.tokens import (
    InvalidToken,
    firm_token,
    read_firm_token,
    read_track_token,
    unsign,
)
from push.delivery.tracking import firm_page, record_click, record_open
from push.firms.models import CHANNELS, Firm
from push.settings import push_settings
from web.deps import SettingsDep, TemplatesDep, get_session, get_write_session

router = APIRouter()
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
FREQUENCY_LABELS = {Frequency.IMMEDIATE: "即时推送", Frequency.DAILY: "每日汇总",
                    Frequency.WEEKLY: "每周汇总"}


def _unsub_data(settings: Settings, token: str) -> tuple[int, str | None]:
    data = unsign(key=settings.signing_key(), purpose="unsubscribe", token=token)
    if not isinstance(data.get("f"), int):
        raise InvalidToken("链接无效。")
    return data["f"], data.get("t")


@router.get("/push/unsubscribe", response_class=HTMLResponse)
def unsubscribe_confirm(
    request: Request, session: Annotated[Session, Depends(get_session, scope="function")],
    settings: SettingsDep, templates: TemplatesDep, token: str = ""
) -> HTMLResponse:
    """Ask to confirm (mail scanners follow GET links; only the POST unsubscribes)."""
    firm_id, theme = _unsub_data(settings, token)
    firm = session.get(Firm, firm_id)
    return templates.TemplateResponse(request, "push_unsubscribe.html", {
        "token": token, "theme": theme, "firm": firm, "done": False})


@router.post("/push/unsubscribe", response_class=HTMLResponse)
def unsubscribe_apply(
    request: Request, session: Annotated[Session, Depends(get_session, scope="function")],
    settings: SettingsDep, templates: TemplatesDep,
    token: Annotated[str, Query()] = "", form_token: Annotated[str, Form(alias="token")] = "",
) -> HTMLResponse:
    """Apply the unsubscribe (also the RFC 8058 one-click POST from mail clients)."""
    token = token or form_token
    firm_id, theme = _unsub_data(settings, token)
    unsubscribe(session=session, firm_id=firm_id, theme=theme)
    firm = session.get(Firm, firm_id)
    return templates.TemplateResponse(request, "push_unsubscribe.html", {
        "token": token, "theme": theme, "firm": firm, "done": True,
        "firm_link": "/push/firm?token=" + firm_token(
            key=settings.signing_key(), firm_id=firm_id, days=push_settings(settings).firm_link_days)})


@router.get("/push/r/{token}")
def tracked_redirect(
    token: str, session: Annotated[Session, Depends(get_write_session, scope="function")],
    settings: SettingsDep,
) -> RedirectResponse:
    """Record the click-through and go to the policy page."""
    push = record_click(session=session,
                        push_id=read_track_token(key=settings.signing_key(), token=token))
    if push is None:
        raise InvalidInput("该推送已不存在")
    base = settings.public_url.rstrip("/")
    return RedirectResponse(f"{base}/policies/{push.policy_id}", status_code=302)


@router.get("/push/o/{token}.gif")
def open_pixel(
    token: str, session: Annotated[Session, Depends(get_write_session, scope="function")],
    settings: SettingsDep,
) -> Response:
    """Record an email open; always answers the 1×1 image."""
    try:
        record_open(session=session,
                    push_id=read_track_token(key=settings.signing_key(), token=token))
    except InvalidToken:
        pass
    return Response(PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})


def firm_id_of(settings: Settings, token: str) -> int:
    """The firm a signed firm link (``token``) is for; InvalidToken when it is not valid."""
    return read_firm_token(key=settings.signing_key(), token=token)


@router.get("/push/firm", response_class=HTMLResponse)
def firm_home(
    request: Request, session: Annotated[Session, Depends(get_write_session, scope="function")],
    settings: SettingsDep, templates: TemplatesDep, token: str = ""
) -> HTMLResponse:
    """The firm's inbox (marked read on view), subscription settings and 已申报/不适用 marks."""
    firm_id = firm_id_of(settings, token)
    page = firm_page(session=session, firm_id=firm_id)
    secret = webhook_secret(session=session, firm_id=firm_id) if page.firm.webhook_url else None
    from push.applications.views import for_firm
    from push.guides.service import default_year
    from web.routes.direct import firm_view

    direct = firm_view(session=session, firm=page.firm, year=default_year())
    return templates.TemplateResponse(request, "push_firm.html", {
        "page": page, "token": token, "channels": CHANNELS, "secret": secret, "direct": direct,
        "disputed": request.query_params.get("disputed") == "1",
        "applications": for_firm(session=session, firm_id=firm_id), "show_amounts": True,
        "frequencies": FREQUENCY_LABELS, "mark_labels": MARK_LABELS})


def _back(token: str) -> RedirectResponse:
    return RedirectResponse(f"/push/firm?token={token}", status_code=303)


@router.post("/push/firm/settings")
def firm_settings(
    session: Annotated[Session, Depends(get_session, scope="function")], settings: SettingsDep,
    token: Annotated[str, Form()], frequency: Annotated[str, Form()] = "immediate",
    themes: Annotated[str, Form()] = "", channels: Annotated[list[str] | None, Form()] = None,
    quiet_start: Annotated[str, Form()] = "", quiet_end: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Save the subscription form."""
    firm_id = firm_id_of(settings, token)
    names = [t for t in themes.replace("，", ",").replace("、", ",").split(",")]
    update_subscription(session=session, firm_id=firm_id, themes=names, channels=channels or [],
                        frequency=frequency, quiet_start=quiet_start or None,
                        quiet_end=quiet_end or None, active=bool(active))
    return _back(token)


@router.post("/push/firm/mark")
def firm_mark(
    session: Annotated[Session, Depends(get_session, scope="function")], settings: SettingsDep,
    token: Annotated[str, Form()], policy_id: Annotated[int, Form()], mark: Annotated[str, Form()],
) -> RedirectResponse:
    """Mark a policy 已申报 or 不适用 (stops its reminders)."""
    mark_policy(session=session, firm_id=firm_id_of(settings, token), policy_id=policy_id,
                mark=mark)
    return _back(token)
