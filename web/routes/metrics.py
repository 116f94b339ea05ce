"""``/metrics`` for Prometheus: from the staff network (loopback by default) or with the token."""

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from web.clients import client_address, in_networks
from web.deps import WebSettingsDep
from web.metrics import render
from web.settings import WebSettings

router = APIRouter(include_in_schema=False)
LOOPBACK = "127.0.0.0/8,::1"


def allowed(request: Request, settings: WebSettings) -> bool:
    """A scraper with ``KB_METRICS_TOKEN`` as its bearer token, or one on the staff networks
    (loopback when none are set)."""
    token = settings.metrics_token
    sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if token and sent and hmac.compare_digest(sent.encode(), token.encode()):
        return True
    return in_networks(client_address(request), settings.staff_networks or LOOPBACK)


@router.get("/metrics")
def metrics(request: Request, settings: WebSettingsDep) -> Response:
    """Prometheus text format."""
    if not allowed(request, settings):
        return JSONResponse({"detail": "metrics are for the staff network or a scraper with "
                                       "KB_METRICS_TOKEN"}, status_code=403)
    return Response(render(request.app), media_type=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})
