"""Account administration (管理员 only): list, create, disable, enable, reset passwords."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from kb.errors import Conflict, InvalidInput
from kb.staff.accounts import (
    create_user,
    department_names,
    disable_user,
    enable_user,
    find_department,
    get_user_by_id,
    list_users,
    set_password,
)
from kb.staff.models import ROLE_LABELS, Role, User
from web.auth import actor_of, require_role, verify_csrf
from web.deps import SessionDep, TemplatesDep
from web.errors import status_of

router = APIRouter(prefix="/admin/users", include_in_schema=False)
AdminDep = Annotated[User, Depends(require_role(Role.ADMIN))]
LIST = "/admin/users"
# What the list says after a change; the page is reached by redirect, so it can be reloaded.
DONE = {"created": "已创建账号 {who}", "created_dept": "已创建账号 {who}，并新建了部门“{dept}”",
        "disabled": "已停用 {who}，其已登录的会话均已退出", "enabled": "已启用 {who}",
        "password": "已为 {who} 设置新密码，其已登录的会话均已退出"}


def _page(request: Request, templates: Jinja2Templates, session: Session, *, error: str = "",
          form: dict | None = None, status: int = 200, notice: str = "") -> Response:
    return templates.TemplateResponse(request, "admin_users.html", {
        "accounts": list_users(session=session), "departments": department_names(session=session),
        "role_labels_by_value": {r.value: label for r, label in ROLE_LABELS.items()},
        "error": error, "form": form or {}, "notice": notice}, status_code=status)


def _done(code: str, user: User, dept: str = "") -> RedirectResponse:
    return RedirectResponse(f"{LIST}?{urlencode({'done': code, 'who': user.username, 'dept': dept})}",
                            status_code=303)


@router.get("", response_class=HTMLResponse)
def users_page(request: Request, session: SessionDep, admin: AdminDep, templates: TemplatesDep,
               done: str = "", who: str = "", dept: str = "") -> Response:
    """Every account, and the form to add one."""
    # Names in the notice must exist, so a crafted link cannot make the page say anything.
    known = {a.user.username for a in list_users(session=session)}
    if dept and find_department(session=session, name=dept) is None:
        dept = ""
    notice = DONE[done].format(who=who, dept=dept) if done in DONE and who in known else ""
    return _page(request, templates, session, notice=notice)


@router.post("", response_class=HTMLResponse, dependencies=[Depends(verify_csrf)])
def add_user(request: Request, session: SessionDep, admin: AdminDep, templates: TemplatesDep,
             username: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
             department: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
             roles: Annotated[list[str] | None, Form()] = None) -> Response:
    """Create an account; a refused form comes back filled in, with the reason."""
    new_dept = bool(department.strip()) and find_department(session=session,
                                                            name=department) is None
    try:
        user = create_user(session=session, actor=actor_of(request, admin), username=username,
                           name=name, password=password, department=department or None,
                           roles=roles or [])
    except (InvalidInput, Conflict) as exc:  # refused before anything was written
        form = {"username": username, "name": name, "department": department,
                "roles": roles or []}
        return _page(request, templates, session, error=exc.message, form=form,
                     status=status_of(exc))
    return _done("created_dept" if new_dept else "created", user, department.strip())


@router.post("/{user_id}/disable", dependencies=[Depends(verify_csrf)])
def disable(request: Request, session: SessionDep, admin: AdminDep, user_id: int) -> Response:
    """Stop an account from signing in; it is signed out everywhere."""
    user = disable_user(session=session, actor=actor_of(request, admin),
                        user=get_user_by_id(session=session, user_id=user_id))
    return _done("disabled", user)


@router.post("/{user_id}/enable", dependencies=[Depends(verify_csrf)])
def enable(request: Request, session: SessionDep, admin: AdminDep, user_id: int) -> Response:
    """Let a disabled account sign in again."""
    user = enable_user(session=session, actor=actor_of(request, admin),
                       user=get_user_by_id(session=session, user_id=user_id))
    return _done("enabled", user)


@router.post("/{user_id}/password", response_class=HTMLResponse,
             dependencies=[Depends(verify_csrf)])
def reset_password(request: Request, session: SessionDep, admin: AdminDep, templates: TemplatesDep,
                   user_id: int, password: Annotated[str, Form()] = "") -> Response:
    """Set a new password for an account (e.g. one whose owner forgot it)."""
    user = get_user_by_id(session=session, user_id=user_id)
    try:
        set_password(session=session, actor=actor_of(request, admin), user=user,
                     password=password)
    except InvalidInput as exc:
        return _page(request, templates, session, error=f"{user.username}：{exc.message}",
                     status=status_of(exc))
    return _done("password", user)
