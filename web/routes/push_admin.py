"""Staff page for push delivery: the reach funnel, failures, dead letters, suspended channels."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from kb.staff.models import Role
from push.delivery.models import STATUS_LABELS
from push.delivery.readiness import channel_lines, stalled
from push.reports.funnel import STAGE_LABELS, STAGES, funnel, funnel_csv, overview
from web.auth import staff_only
from web.deps import SettingsDep, TemplatesDep, get_session

router = APIRouter(dependencies=[Depends(staff_only(Role.ADMIN))])


@router.get("/admin/push", response_class=HTMLResponse)
def push_admin(request: Request,
               session: Annotated[Session, Depends(get_session, scope="function")],
               settings: SettingsDep, templates: TemplatesDep) -> HTMLResponse:
    """The funnel per policy and department, failing and dead pushes, suspended channels."""
    return templates.TemplateResponse(request, "push_admin.html", {
        "by_policy": funnel(session=session, by="policy"),
        "by_department": funnel(session=session, by="department"),
        "stages": STAGES, "stage_labels": STAGE_LABELS, "overview": overview(session=session),
        "channels": channel_lines(settings,
                                  worker_here=getattr(request.app.state, "push_worker", None) is not None),
        "stalled": stalled(session=session), "status_labels": STATUS_LABELS})


@router.get("/admin/push/funnel.csv")
def push_funnel_csv(
    session: Annotated[Session, Depends(get_session, scope="function")], by: str = "policy"
) -> Response:
    """The funnel as a CSV download."""
    rows = funnel(session=session, by="department" if by == "department" else "policy")
    return Response(funnel_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="push-funnel-{by}.csv"'})
