"""The OpenAPI document: the JSON API under /api/, with the error bodies the handlers really send."""

from fastapi import FastAPI

# web.errors answers every error under /api/ as {"detail": "一句话"}, validation errors included.
ERROR_SCHEMA = {"title": "Error", "type": "object", "required": ["detail"],
                "properties": {"detail": {"type": "string", "title": "Detail",
                                          "description": "给用户看的一句话"}}}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_RETRY_AFTER = {"Retry-After": {"description": "几秒后可再试", "schema": {"type": "integer"}}}


def _fix_errors(operation: dict) -> None:
    for status, response in operation.get("responses", {}).items():
        if not status.isdigit() or int(status) < 400:
            continue
        response["content"] = {"application/json": {"schema": _ERROR_REF}}
        if status == "429":
            response.setdefault("headers", {}).update(_RETRY_AFTER)


def _refs(node, found: set[str]) -> set[str]:  # noqa: ANN001
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
    app.openapi = lambda: document(app)
