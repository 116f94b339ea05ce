"""The embeddable Q&A widget: its script at /widget.js and a demo host page at /demo."""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from web.deps import TemplatesDep

router = APIRouter()
WIDGET_JS = Path(__file__).resolve().parent.parent / "static" / "widget.js"


@router.get("/widget.js", include_in_schema=False)
def widget_js() -> Response:
    """The widget script; any page may load it (a script tag needs no CORS), the API decides who may ask."""
    # Read per request: the file is small and an upgrade must reach pages without a restart;
    # the short max-age keeps portals from serving a stale widget for long.
    return Response(
        WIDGET_JS.read_bytes(), media_type="application/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*",
                 "Cross-Origin-Resource-Policy": "cross-origin",
                 "X-Content-Type-Options": "nosniff"})


@router.get("/demo", response_class=HTMLResponse, include_in_schema=False)
def demo_page(request: Request, templates: TemplatesDep) -> HTMLResponse:
    """A county-portal style page with hostile global CSS that embeds the widget with the one-line tag."""
    return templates.TemplateResponse(
        request, "widget_demo.html", {"widget_src": str(request.url_for("widget_js"))})
