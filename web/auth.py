"""Who is signed in, and what they may do: sessions, roles, CSRF checks, the staff navigation."""

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from kb.clock import local_time
from kb.database.db import session_scope
from kb.errors import AuthenticationFailed, PermissionDenied
from kb.staff.accounts import department_name, resolve_session, role_labels
from kb.staff.audit import Actor
from kb.staff.models import ROLE_LABELS, Role, User
from web.clients import client_address, in_networks

SESSION_COOKIE = "kb_session"
LOGIN_CSRF_COOKIE = "kb_login_csrf"
LOGIN_PATH = "/admin/login"
CSRF_FAILED = "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试"
_UNRESOLVED = object()


class LoginRequired(Exception):
    """A page needs a signed-in user; answered with a redirect to the sign-in form."""

    def __init__(self, next_path: str | None) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def cookie_options(request: Request) -> dict:
    """Flags of the session cookie: HttpOnly, SameSite=Lax, Secure behind https."""
    secure = request.app.state.settings.public_url.startswith("https")
    return {"httponly": True, "samesite": "lax", "path": "/", "secure": secure}


def current_user(request: Request) -> User | None:
    """The signed-in user, resolved once per request; sets ``request.state.user`` and the CSRF token."""
    found = getattr(request.state, "user", _UNRESOLVED)
    if found is None or isinstance(found, User):  # resolved earlier in this request
        return found
    request.state.user = request.state.csrf_token = request.state.user_department = None
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    # Its own short unit of work: sliding expiry is written even when the page itself fails.
    with session_scope(request.app.state.engine) as session:
        resolved = resolve_session(session=session, token=token)
        if resolved is None:
            return None
        user, row = resolved
        request.state.user_department = department_name(session=session, user=user)
    request.state.user = user
    request.state.csrf_token = row.csrf_token
    return user


def require_user(request: Request) -> User:
    """Dependency: the signed-in user; otherwise 401 under /api/, a redirect to sign-in elsewhere."""
    user = current_user(request)
    if user is not None:
        return user
    if request.url.path.startswith("/api/"):
        raise AuthenticationFailed("请先登录")
    # Only a page can be returned to after signing in; a form post cannot be replayed.
    query = f"?{request.url.query}" if request.url.query else ""
    raise LoginRequired(request.url.path + query if request.method == "GET" else None)


def role_names(roles: tuple[Role, ...] | list[Role]) -> str:
    """Role labels joined for a message, e.g. "审核人或发布人"."""
    return "或".join(ROLE_LABELS[r] for r in roles)


def require_role(*roles: Role) -> Callable[..., User]:
    """Dependency factory: the signed-in user if they hold one of ``roles``; 403 otherwise."""

    def dependency(user: Annotated[User, Depends(require_user)]) -> User:
        if not any(user.has(r) for r in roles):
            raise PermissionDenied(f"此操作需要{role_names(roles)}角色；如需开通，请联系管理员")
        return user

    return dependency


async def verify_csrf(request: Request, user: Annotated[User, Depends(require_user)]) -> None:
    """Dependency for state-changing posts: the token from the form or X-CSRF-Token must match."""
    sent: object = request.headers.get("X-CSRF-Token")  # a form may also hold a file: checked below
    content_type = request.headers.get("content-type", "")
    if not sent and content_type.startswith(("application/x-www-form-urlencoded",
                                             "multipart/form-data")):
        sent = (await request.form()).get("csrf_token")  # Starlette caches the parsed form
    expected = request.state.csrf_token or ""
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(
            sent.encode(), expected.encode()):
        raise PermissionDenied(CSRF_FAILED)


def actor_of(request: Request, user: User) -> Actor:
    """The audit actor for ``user`` acting from this request's address."""
    return Actor.of(user, client_address(request))


def is_staff_client(request: Request) -> bool:
    """Whether the client may use staff pages from where it is: anywhere, unless
    ``KB_STAFF_NETWORKS`` names networks (then only from those)."""
    networks = request.app.state.site.staff_networks
    return not networks.strip() or in_networks(client_address(request), networks)


def staff_only(*roles: Role) -> Callable[..., User]:
    """Dependency factory for staff tools (agent console, push administration): a signed-in user
    holding one of ``roles`` (401 or sign-in otherwise, 403 without the role), on a staff
    network when those are configured."""
    role_check = require_role(*roles)

    def dependency(request: Request, user: Annotated[User, Depends(require_user)]) -> User:
        role_check(user)
        if not is_staff_client(request):
            raise PermissionDenied("此页面仅限从政务内网访问")
        return user

    return dependency


# --- Staff navigation -------------------------------------------------------------------


@dataclass(frozen=True)
class StaffArea:
    """One entry of the staff navigation; ``roles`` None means every signed-in user."""

    label: str
    href: str
    about: str
    roles: tuple[Role, ...] | None = None

    def open_to(self, user: User) -> bool:
        """Whether ``user`` sees this entry."""
        return self.roles is None or any(user.has(r) for r in self.roles)


_WRITERS = (Role.DRAFTER, Role.REVIEWER, Role.PUBLISHER, Role.ADMIN)
# Kept in step with the roles each page's route requires, so nobody is shown a link to a 403.
STAFF_AREAS = (
    StaffArea("工作台", "/admin", "待办与常用入口"),
    StaffArea("审核发布", "/admin/review", "退回的稿件、待审核和待发布的稿件", _WRITERS),
    StaffArea("内容管理", "/admin/content", "起草和修改政策文件、政策解读、常见问题", _WRITERS),
    StaffArea("效力管理", "/admin/validity", "政策的有效期、失效、废止与替代关系", _WRITERS),
    StaffArea("问题台账", "/admin/ledger", "答复群众问了但知识库答不好的问题"),
    StaffArea("统计", "/admin/stats", "提问量、答复率、各部门办理情况",
              (Role.ADMIN, Role.REVIEWER, Role.PUBLISHER)),
    StaffArea("政策申报", "/admin/applications", "申报受理、审核、拨付的逐环节办理与统计",
              (Role.HANDLER, Role.ADMIN)),
    StaffArea("直达快享", "/admin/direct", "免申即享名单的生成、审核、发布，企业数据异议，兑现统计",
              (Role.HANDLER, Role.DRAFTER, Role.REVIEWER, Role.PUBLISHER, Role.ADMIN)),
    StaffArea("坐席台", "/agent", "12345 热线坐席检索与答复口径", (Role.AGENT, Role.ADMIN)),
    StaffArea("推送管理", "/admin/push", "企业推送的送达、失败与转化", (Role.ADMIN,)),
    StaffArea("审计日志", "/admin/audit", "谁在何时做了什么", (Role.ADMIN,)),
    StaffArea("账号", "/admin/users", "开通、停用账号，重置密码", (Role.ADMIN,)),
)


def staff_areas(user: User | None) -> list[StaffArea]:
    """The navigation entries ``user`` may open."""
    return [a for a in STAFF_AREAS if user is not None and a.open_to(user)]


def install(app: FastAPI) -> None:
    """Send anonymous page requests to sign-in, and give templates the staff navigation."""

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        target = LOGIN_PATH + (f"?{urlencode({'next': exc.next_path})}" if exc.next_path else "")
        return RedirectResponse(target, status_code=303)

    env = app.state.templates.env
    env.globals["staff_areas"] = staff_areas
    env.globals["role_labels"] = role_labels
    env.globals["local_time"] = local_time
    from kb.authoring.workflow import may

    env.globals["may"] = may  # which sign-off buttons a page shows
