"""Signing in and out, and the staff home page."""

import hmac
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from kb.errors import AuthenticationFailed, TooManyAttempts
from kb.staff.accounts import authenticate, close_session, open_session
from kb.staff.audit import record
from web.auth import (
    LOGIN_CSRF_COOKIE,
    LOGIN_PATH,
    SESSION_COOKIE,
    actor_of,
    cookie_options,
    current_user,
    staff_areas,
    verify_csrf,
)
from web.clients import client_address
from web.deps import CurrentUserDep, EngineDep, SessionDep, SettingsDep, TemplatesDep
from web.metrics import SIGNIN_FAILURES

router = APIRouter(include_in_schema=False)
# Committed before the response leaves, so the page a redirect leads to sees the change.
HOME = "/admin"


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only, never another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return HOME
    return HOME if parts.path == LOGIN_PATH else target


def _login_page(request: Request, templates: Jinja2Templates, *, next_path: str,
                message: str = "", username: str = "", status: int = 200) -> Response:
    # Double-submit token: a page on another site can neither read this cookie nor set the field.
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = templates.TemplateResponse(request, "login.html", {
        "next": next_path, "message": message, "username": username, "login_csrf": token},
        status_code=status)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        path=LOGIN_PATH, secure=cookie_options(request)["secure"])
    return response


@router.get(LOGIN_PATH, response_class=HTMLResponse)
def login_form(request: Request, templates: TemplatesDep, next: str | None = None) -> Response:
    """The sign-in form; someone already signed in goes straight on."""
    target = safe_next(next)
    if current_user(request) is not None:
        return RedirectResponse(target, status_code=303)
    return _login_page(request, templates, next_path=target)


@router.post(LOGIN_PATH, response_class=HTMLResponse)
def login_submit(request: Request, session: SessionDep, settings: SettingsDep,
                 templates: TemplatesDep,
                 username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
                 csrf_token: Annotated[str, Form()] = "",
                 next: Annotated[str, Form()] = "") -> Response:
    """Check the credentials; on success set the session cookie and go to ``next``."""
    target = safe_next(next)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), csrf_token.encode()):
        return _login_page(request, templates, next_path=target, username=username, status=403,
                           message="登录页面已过期，请重新输入用户名和密码")
    try:
        user = authenticate(session=session, username=username, password=password,
                            client=client_address(request), settings=settings)
    except AuthenticationFailed as exc:
        SIGNIN_FAILURES.labels("refused").inc()
        # Handled here rather than re-raised, so the recorded attempt is committed.
        return _login_page(request, templates, next_path=target, username=username,
                           message=exc.message, status=401)
    except TooManyAttempts as exc:
        SIGNIN_FAILURES.labels("throttled").inc()
        page = _login_page(request, templates, next_path=target, username=username,
                           message=exc.message, status=429)
        page.headers["Retry-After"] = str(exc.retry_after_s)
        return page
    if previous := request.cookies.get(SESSION_COOKIE):  # signing in again replaces it
        close_session(session=session, token=previous)
    token = open_session(session=session, user=user, client=client_address(request),
                         settings=settings)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, **cookie_options(request))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=LOGIN_PATH)
    return response


@router.post("/admin/logout", dependencies=[Depends(verify_csrf)])
def logout(request: Request, session: SessionDep, user: CurrentUserDep) -> Response:
    """Sign out: the session ends on the server, the cookie is cleared."""
    close_session(session=session, token=request.cookies.get(SESSION_COOKIE, ""))
    record(session=session, actor=actor_of(request, user), action="logout", record_kind="user",
           record_id=user.id)
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    options = cookie_options(request)
    response.delete_cookie(SESSION_COOKIE, path=options["path"], secure=options["secure"],
                           httponly=True, samesite="lax")
    return response


@router.get(HOME, response_class=HTMLResponse)
def admin_home(request: Request, user: CurrentUserDep, engine: EngineDep,
               templates: TemplatesDep) -> Response:
    """The staff home page: a greeting, what waits for the user, and what their roles open."""
    from kb.authoring.workflow import queue
    from kb.database.db import read_scope

    areas = [a for a in staff_areas(user) if a.href != HOME]
    with read_scope(engine) as session:
        work = queue(session=session, user=user)
    return templates.TemplateResponse(request, "admin_home.html", {"areas": areas, "work": work})
