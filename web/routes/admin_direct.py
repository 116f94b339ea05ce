"""Staff pages for 直达快享: 免申即享 lists (generate, review, publish), the department's fact
disputes with their resolve forms, and the direct-payment statistics with their CSV."""

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from kb.authoring.workflow import Staff, require_department
from kb.clock import county_today
from kb.config import Settings
from kb.staff.models import Role, User
from push.direct import service as direct
from push.direct.models import LIST_STATUS_LABELS, ListStatus
from push.direct.stats import Row, direct_stats, stats_csv
from push.direct.views import direct_policies, list_dict, list_index
from push.facts.disputes import DisputeRow, queue, resolve_dispute
from push.facts.models import DisputeStatus
from push.settings import push_settings
from web.auth import require_role, verify_csrf
from web.clients import client_address
from web.deps import SessionDep, SettingsDep, TemplatesDep

router = APIRouter(prefix="/admin/direct", include_in_schema=False)
ROLES = (Role.HANDLER, Role.DRAFTER, Role.REVIEWER, Role.PUBLISHER, Role.ADMIN)
DirectDep = Annotated[User, Depends(require_role(*ROLES))]
SHOWN_ENTRIES = 500  # a page lists this many firms; the CLI and API give all of them
RESOLVED_SHOWN = 20


def _scope(user: User) -> int | None:
    return None if user.has(Role.ADMIN) else user.department_id


def _staff(request: Request, user: User) -> Staff:
    return Staff(user, client_address(request))


def _resolved_at(row: DisputeRow) -> datetime:
    """When a settled dispute was settled (resolving one stamps the time)."""
    if row.dispute.resolved_at is None:
        raise ValueError(f"dispute {row.dispute.id} is resolved but has no resolved_at")
    return row.dispute.resolved_at


def _back(path: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode({'done': done})}", status_code=303)


@router.get("", response_class=HTMLResponse)
def index_page(request: Request, session: SessionDep, user: DirectDep, templates: TemplatesDep,
               done: str = "") -> Response:
    """The department's 免申即享 lists with their status, and the generate form."""
    return templates.TemplateResponse(request, "admin_direct.html", {
        "rows": list_index(session=session, department_id=_scope(user)),
        "policies": direct_policies(session=session, department_id=_scope(user)),
        "year": county_today().year, "done": done})


@router.post("/lists", dependencies=[Depends(verify_csrf)])
def generate_list(session: SessionDep, user: DirectDep, policy_id: Annotated[int, Form()],
                  period: Annotated[str, Form()]) -> Response:
    """Generate a list from the facts; it waits for another person's review."""
    policy, _ = direct.direct_policy(session, policy_id)
    require_department(session, user, policy.department_id)
    lst = direct.generate(session=session, policy_id=policy_id, period=period, by=user.name)
    return RedirectResponse(f"/admin/direct/lists/{lst.id}", status_code=303)


@router.get("/lists/{list_id}", response_class=HTMLResponse)
def list_page(request: Request, session: SessionDep, user: DirectDep, templates: TemplatesDep,
              list_id: int, done: str = "") -> Response:
    """One list: each firm with its amount, formula and facts used; the sign-off buttons."""
    lst = direct.get_list(session=session, list_id=list_id)
    require_department(session, user, lst.department_id)
    data = list_dict(session, lst, limit=SHOWN_ENTRIES)
    me = {user.name, user.username}
    return templates.TemplateResponse(request, "admin_direct_list.html", {
        "lst": lst, "data": data, "title": direct.direct_policy(session, lst.policy_id)[0].title,
        "shown": SHOWN_ENTRIES, "done": done, "status_label": LIST_STATUS_LABELS[lst.status],
        "may_review": (lst.status == ListStatus.GENERATED and user.has(Role.REVIEWER)
                       and lst.generated_by not in me),
        "may_publish": (lst.status == ListStatus.REVIEWED and user.has(Role.PUBLISHER)
                        and not me & {lst.generated_by, lst.reviewed_by})})


@router.post("/lists/{list_id}/review", dependencies=[Depends(verify_csrf)])
def review_list(request: Request, session: SessionDep, user: DirectDep, list_id: int,
                decision: Annotated[str, Form()] = "approve",
                comment: Annotated[str, Form(max_length=1000)] = "") -> Response:
    """Pass or return the list (a 审核人 who did not generate it)."""
    lst = direct.review(session=session, staff=_staff(request, user), list_id=list_id,
                        approve=decision != "return", comment=comment)
    return _back(f"/admin/direct/lists/{lst.id}",
                 "已审核通过，待发布" if lst.status == ListStatus.REVIEWED else "已退回")


@router.post("/lists/{list_id}/publish", dependencies=[Depends(verify_csrf)])
def publish_list(request: Request, session: SessionDep, user: DirectDep, list_id: int) -> Response:
    """Publish: each firm one application at 已核定 and its notice, never twice."""
    report = direct.publish(session=session, staff=_staff(request, user), list_id=list_id)
    return _back(f"/admin/direct/lists/{list_id}",
                 f"已发布：新建已核定申报{len(report.applications)}件，"
                 f"已兑现过的{report.already_paid}项未重复兑现")


@router.get("/disputes", response_class=HTMLResponse)
def disputes_page(request: Request, session: SessionDep, user: DirectDep,
                  templates: TemplatesDep, done: str = "") -> Response:
    """The department's open disputes with their resolve forms, and the latest settled ones."""
    settled = queue(session=session, department_id=_scope(user), status=DisputeStatus.RESOLVED)
    settled.sort(key=_resolved_at, reverse=True)
    return templates.TemplateResponse(request, "admin_direct_disputes.html", {
        "open": queue(session=session, department_id=_scope(user)),
        "settled": settled[:RESOLVED_SHOWN], "done": done})


@router.post("/disputes/{dispute_id}/resolve", dependencies=[Depends(verify_csrf)])
def resolve(request: Request, session: SessionDep, user: DirectDep, dispute_id: int,
            decision: Annotated[str, Form()], value: Annotated[str, Form(max_length=200)] = "",
            reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Accept with the corrected value, or reject with a reason."""
    accept = decision == "accept"
    row = resolve_dispute(session=session, staff=_staff(request, user), dispute_id=dispute_id,
                          accept=value if accept else None, reject=None if accept else reason)
    return _back("/admin/direct/disputes", f"异议{row.id}：{row.resolution}")


def _rows(settings: Settings, session: Session, by: str) -> list[Row]:
    today = county_today()
    return direct_stats(session=session, today=today, year=today.year,
                        guide_days=push_settings(settings).guide_due_days, by=by)


@router.get("/stats", response_class=HTMLResponse)
def stats_page(request: Request, session: SessionDep, user: DirectDep, settings: SettingsDep,
               templates: TemplatesDep, by: str = "policy") -> Response:
    """Per policy or department: eligible firms, paid without application vs by application,
    amounts, working days to payment, guides overdue."""
    by = "department" if by == "department" else "policy"
    rows = [r.to_dict() for r in _rows(settings, session, by)]
    return templates.TemplateResponse(request, "admin_direct_stats.html", {"rows": rows, "by": by})


@router.get("/stats.csv")
def stats_export(session: SessionDep, user: DirectDep, settings: SettingsDep,
                 by: str = "policy") -> Response:
    """The statistics as CSV (UTF-8 with a BOM, Chinese headers)."""
    by = "department" if by == "department" else "policy"
    return Response(stats_csv(_rows(settings, session, by)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="direct-{by}.csv"'})
