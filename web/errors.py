"""One place that maps errors to HTTP: JSON for the API (``wants_json``), an error page elsewhere."""

import logging
import re
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from kb.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    KBError,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
)

log = logging.getLogger("policykb.web")


def status_of(exc: KBError) -> int:
    """The HTTP status for a domain error."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, InvalidInput):
        return 422
    if isinstance(exc, AuthenticationFailed):
        return 401
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, TooManyAttempts):
        return 429
    return 400


_MESSAGES = {"missing": "缺少此项", "json_invalid": "不是有效的 JSON", "bool_parsing": "应为 true 或 false",
             "int_parsing": "应为整数", "string_type": "应为文字", "bool_type": "应为 true 或 false",
             "int_type": "应为整数", "list_type": "应为列表", "model_attributes_type": "应为对象",
             "dict_type": "应为对象"}


def validation_message(exc: RequestValidationError) -> str:
    """One readable line per problem FastAPI found in a request, e.g. "question：缺少此项"."""
    parts = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":  # its location is a character offset, not a field
            parts.append("请求体不是有效的 JSON")
            continue
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        what = _MESSAGES.get(err.get("type", ""), err.get("msg", "无效"))
        parts.append(f"{'.'.join(loc) or '请求'}：{what}")
    return "请求有误：" + "；".join(parts)


STAFF_PAGES = ("/admin", "/agent")
# Answered in JSON whatever the client accepts: the API, the probes, the API document and files
# (a missing script or image is no page). Elsewhere a page, unless the client asks for JSON only.
JSON_PATHS = ("/api/", "/healthz", "/readyz", "/metrics", "/openapi.json", "/static/")
FIXABLE = (400, 409, 422)  # a form's content was refused: going back to fix it helps


def wants_json(request: Request) -> bool:
    """Whether an error is answered as ``{"detail": ...}`` rather than as a page."""
    path = request.url.path
    if path == "/api" or path.startswith(JSON_PATHS):
        return True
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


# What a visitor is told, by status: what happened, and what to do next.
_PAGES = {
    404: ("没有找到您要打开的页面", "网址可能有误，或者这项内容已经撤下。您可以回到首页，或在政策文件中查找。"),
    405: ("这个网址不能直接打开", "请从页面上的链接或按钮进入。"),
    401: ("请先登录", "工作人员请登录后再办理。"),
    403: ("您没有办理这项事务的权限", "如需开通，请联系本单位的管理员。"),
    429: ("操作太频繁了", "请稍等片刻再试。"),
    500: ("系统暂时出了点问题，没能办完", "请稍后再试。"),
}
_FORM = ("提交的内容需要修改", "请返回修改后再提交。")
_OTHER = ("这个请求没能办理", "请回到首页重新开始。")
# A domain message may begin with the field it is about ("issued_from：…"): right for the API,
# a foreign word on a page, whose visitor saw a label. The filters' labels; others are dropped.
_FIELD_PREFIX = re.compile(r"^(?P<name>[A-Za-z_][\w.]*)\s*[：:]\s*")
_PAGE_LABELS = {"page": "页码", "per_page": "每页条数", "issued_from": "发文日期起",
                "issued_to": "发文日期止", "validity": "效力状态", "department": "发文部门",
                "since": "日期从", "until": "日期到"}


def _without_field(message: str) -> str:
    """``message`` with a leading field name turned into its label, or dropped."""
    def label(m: re.Match[str]) -> str:
        name = _PAGE_LABELS.get(m["name"])
        return f"{name}：" if name else ""

    return _FIELD_PREFIX.sub(label, message, count=1)


def _page(request: Request, message: str | None, status: int,
          headers: Mapping[str, str] | None = None) -> Response:
    """The error page: a sentence on what went wrong, the next step, and the hotline."""
    submitted = request.method not in ("GET", "HEAD") or bool(request.url.query)
    fixable = status in FIXABLE and submitted
    title, advice = _PAGES.get(status) or (_FORM if fixable else _OTHER)
    if message:
        message = _without_field(message)
    # A signed-in member of staff refused an action stays in the admin layout and its navigation.
    staff = getattr(request.state, "user", None) is not None
    template = ("admin_forbidden.html" if status == 403 and staff
                and request.url.path.startswith(STAFF_PAGES) else "error.html")
    context = {"title": title, "message": message or title, "advice": advice, "fixable": fixable,
               "not_found": status in (404, 405), "hotline": request.app.state.settings.hotline}
    return request.app.state.templates.TemplateResponse(request, template, context,
                                                        status_code=status, headers=headers)


def _respond(request: Request, message: str, status: int) -> Response:
    if wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    return _page(request, message, status)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(KBError)
    async def _kb_error(request: Request, exc: KBError) -> Response:
        response = _respond(request, exc.message, status_of(exc))
        if isinstance(exc, TooManyAttempts):
            response.headers["Retry-After"] = str(exc.retry_after_s)
        return response

    @app.exception_handler(OverflowError)
    async def _number_too_large(request: Request, exc: OverflowError) -> Response:
        # A record number beyond the database's 64-bit range names no record (e.g. /x/99999999999999999999).
        return _respond(request, "编号超出范围：没有这个记录", 404)

    @app.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError) -> Response:
        # PostgreSQL's INTEGER ids are 32-bit: a larger record number is refused by the server
        # (numeric_value_out_of_range) where SQLite simply finds no row.
        if getattr(exc.orig, "sqlstate", None) == "22003":
            return _respond(request, "编号超出范围：没有这个记录", 404)
        if "NUL" in str(exc.orig):  # PostgreSQL text cannot hold U+0000 (SQLite finds nothing)
            return _respond(request, "输入含有无效字符（U+0000），请删除后重试", 422)
        log.error("database refused %s %s", request.method, request.url.path, exc_info=exc)
        return _respond(request, "服务器内部错误", 500)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": validation_message(exc)}, status_code=422)
        # Its words name the request's fields: a page says only that something needs fixing.
        return _page(request, "提交的内容有缺漏或格式不对。", 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Unknown addresses and wrong methods (Starlette's own), the rate limits' 429s.
        if wants_json(request):
            return await http_exception_handler(request, exc)
        detail = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else None
        return _page(request, detail, exc.status_code, headers=exc.headers)
