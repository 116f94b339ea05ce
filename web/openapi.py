"""The OpenAPI document: the JSON API under /api/, with the error bodies the handlers really send."""

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

# web.errors answers every error under /api/ as {"detail": "一句话"}, validation errors included.
ERROR_SCHEMA = {"title": "Error", "type": "object", "required": ["detail"],
                "properties": {"detail": {"type": "string", "title": "Detail",
                                          "description": "给用户看的一句话"}}}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_RETRY_AFTER = {"Retry-After": {"description": "几秒后可再试", "schema": {"type": "integer"}}}


# Answers every operation can give that no route declares itself.
_UNREADABLE = {"400": {"description": "请求体无法解析（不是有效的 JSON 或表单编码）"}}
_STAFF = {"401": {"description": "未登录：请先登录工作人员账号"},
          "403": {"description": "无此权限，或不在政务内网（KB_STAFF_NETWORKS）"}}


def _needs_staff(dependant: Dependant) -> bool:
    """Whether a route depends (at any depth) on a signed-in staff member."""
    from web.auth import require_user

    return any(d.call is require_user or _needs_staff(d) for d in dependant.dependencies)


def _api_routes(routes: list) -> Iterator[APIRoute]:
    """Every API route, also those of included routers (FastAPI ≥ 0.16x wraps them)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _api_routes(inner.routes)
        elif isinstance(route, APIRoute):
            yield route


def _add_common(app: FastAPI, paths: dict) -> None:
    for route in _api_routes(app.routes):
        if route.path not in paths:
            continue
        for method in route.methods or ():
            operation = paths[route.path].get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            extra = (_UNREADABLE if "requestBody" in operation else {}) | (
                _STAFF if _needs_staff(route.dependant) else {})
            for status, response in extra.items():
                responses.setdefault(status, dict(response))


def _fix_errors(operation: dict) -> None:
    for status, response in operation.get("responses", {}).items():
        if not status.isdigit() or int(status) < 400:
            continue
        response["content"] = {"application/json": {"schema": _ERROR_REF}}
        if status == "429":
            response.setdefault("headers", {}).update(_RETRY_AFTER)


def _refs(node: object, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


def document(app: FastAPI) -> dict:
    """The API document: pages, links in messages and downloads are left out (not an API)."""
    if getattr(app.state, "api_document", None) is None:
        spec = FastAPI.openapi(app)
        spec["paths"] = {p: ops for p, ops in spec.get("paths", {}).items() if p.startswith("/api/")}
        _add_common(app, spec["paths"])
        for operations in spec["paths"].values():
            for operation in operations.values():
                _fix_errors(operation)
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        schemas["Error"] = ERROR_SCHEMA
        used = _refs(spec["paths"], set())
        while True:  # schemas that used schemas refer to
            more = _refs([schemas[n] for n in used if n in schemas], set(used))
            if more == used:
                break
            used = more
        spec["components"]["schemas"] = {n: v for n, v in schemas.items() if n in used}
        app.state.api_document = spec
    return app.state.api_document


def install(app: FastAPI) -> None:
    """Serve ``document`` at /openapi.json (and so on /docs)."""
    # FastAPI documents replacing the method; its stubs do not allow the assignment.
    app.openapi = lambda: document(app)  # type: ignore[method-assign]
