"""One place that maps domain errors to HTTP: JSON under /api, an error page elsewhere."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError

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


def _respond(request: Request, message: str, status: int) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=status)
    # A signed-in member of staff refused an action stays in the admin layout and its navigation.
    staff = getattr(request.state, "user", None) is not None
    template = ("admin_forbidden.html" if status == 403 and staff
                and request.url.path.startswith(STAFF_PAGES) else "error.html")
    return request.app.state.templates.TemplateResponse(
        request, template, {"message": message, "status": status}, status_code=status)


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
        return _respond(request, validation_message(exc), 422)
