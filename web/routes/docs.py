"""The API reference pages (/docs, /redoc) from Swagger UI and ReDoc assets shipped in a package."""

from functools import cache
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

# fastapi-offline (MIT) ships Swagger UI (Apache-2.0) and ReDoc (MIT): nothing comes from a CDN.
ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/static-docs"
FAVICON = "/static/favicon.svg"
# ReDoc's sidebar shows a logo it fetches from Redocly's CDN; ours is served instead.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI over the app's OpenAPI document."""
    app = request.app
    return get_swagger_ui_html(
        openapi_url=app.openapi_url, title=f"{app.title} · 接口文档",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css", swagger_favicon_url=FAVICON)


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    """ReDoc over the app's OpenAPI document (no web fonts: they would come from Google)."""
    app = request.app
    return get_redoc_html(openapi_url=app.openapi_url, title=f"{app.title} · 接口文档",
                          redoc_js_url="/redoc.js",
                          redoc_favicon_url=FAVICON, with_google_fonts=False)


@cache
def _redoc_js() -> bytes:
    return (ASSETS / "redoc.standalone.js").read_bytes().replace(REDOC_LOGO.encode(),
                                                                 FAVICON.encode())


@router.get("/redoc.js")
def redoc_js() -> Response:
    """The packaged ReDoc script, its one outside address (a logo) pointed at this server."""
    return Response(_redoc_js(), media_type="application/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=86400"})


def install(app: FastAPI) -> None:
    """Serve the assets and the two pages (the app is made with docs_url=None, redoc_url=None)."""
    app.mount(ASSETS_URL, StaticFiles(directory=str(ASSETS)), name="docs-assets")
    app.include_router(router)
