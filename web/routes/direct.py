"""直达快享 over HTTP: a firm's facts, amounts and disputes through its signed link; the
calculator, 免申即享 lists and the dispute queue for signed-in staff under /api/."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from kb.authoring.workflow import Staff
from kb.database.db import get_or_missing, key
from kb.staff.models import Role, User
from push.direct import service as direct
from push.direct.models import DirectList
from push.direct.views import list_dict
from push.errors import FirmNotFound
from push.facts.disputes import queue as dispute_queue
from push.facts.disputes import resolve_dispute
from push.facts.service import dispute, firm_facts
from push.firms.models import Firm
from push.firms.registry import get_firm
from push.guides.service import default_year
from push.matching.firm_calc import firm_estimates
from push.settings import push_settings
from web.auth import staff_only, verify_csrf
from web.clients import client_address
from web.deps import SessionDep, SettingsDep
from web.routes.push_pages import firm_id_of

router = APIRouter()
# What each kind of caller can be answered besides 200 (the OpenAPI document says so).
FIRM_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "链接无效、已被篡改或已过期"},
    404: {"description": "企业已不在企业库"}, 422: {"description": "参数有误"}}
STAFF_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "请先登录"}, 403: {"description": "需要工作人员角色"},
    404: {"description": "没有这个企业、政策或清单"},
    409: {"description": "清单状态不允许此操作（如生成人自审、重复发布）"},
    422: {"description": "参数有误"}}
AnyStaff = Annotated[User, Depends(staff_only(Role.AGENT, Role.HANDLER, Role.DRAFTER, Role.REVIEWER,
                                              Role.PUBLISHER, Role.ADMIN))]


def firm_view(*, session: Session, firm: Firm, year: int) -> dict:
    """A firm's facts and what it can expect, for its own page and its calculator API (each
    policy's industry, size, region and qualifications judged before its guide's rules)."""
    found = firm_estimates(session=session, firm=firm, year=year)
    found.sort(key=lambda e: (e.eligible is not True, -(e.amount or 0), e.policy_id))
    total = sum(float(e.amount) for e in found if e.eligible and e.amount is not None)
    return {"year": year, "facts": firm_facts(session=session, firm_id=key(firm)),
            "total": total, "policies": [e.to_dict() for e in found]}


# --- the firm, through its signed link ------------------------------------------------------


@router.get("/api/firm/calc", tags=["直达快享"], responses=FIRM_ERRORS)
def firm_calc(session: SessionDep, settings: SettingsDep, token: str,
              year: int | None = None) -> dict:
    """The policy calculator for the firm whose signed link this is: its facts and every policy
    with a guide (amount, formula, instalments, missed, missing)."""
    firm = get_or_missing(session, Firm, firm_id_of(settings, token), "该企业不存在",
                          error=FirmNotFound)
    return {"uscc": firm.uscc, "name": firm.name} | firm_view(
        session=session, firm=firm, year=year or default_year())


@router.post("/push/firm/dispute")
def firm_dispute(session: SessionDep, settings: SettingsDep, token: Annotated[str, Form()],
                 fact_id: Annotated[int, Form()], reason: Annotated[str, Form()] = "") -> RedirectResponse:
    """A firm objects to one of its figures: it goes to the supplying department's queue."""
    dispute(session=session, firm_id=firm_id_of(settings, token), fact_id=fact_id, reason=reason)
    return RedirectResponse(f"/push/firm?token={token}&disputed=1", status_code=303)


# --- staff --------------------------------------------------------------------------------


@router.get("/api/calc", tags=["直达快享"], responses=STAFF_ERRORS)
def staff_calc(session: SessionDep, user: AnyStaff, uscc: str, year: int | None = None) -> dict:
    """The policy calculator for a registered firm (agents, handlers, sign-off staff)."""
    firm = get_firm(session=session, uscc=uscc)
    return {"uscc": firm.uscc, "name": firm.name} | firm_view(
        session=session, firm=firm, year=year or default_year())


@router.get("/api/facts/disputes", tags=["直达快享"], responses=STAFF_ERRORS)
def disputes(session: SessionDep, user: AnyStaff) -> list[dict]:
    """Open disputes of the signed-in user's department (all departments for administrators)."""
    dept = None if user.has(Role.ADMIN) else user.department_id
    return [d.to_dict() for d in dispute_queue(session=session, department_id=dept)]


@router.post("/api/facts/disputes/{dispute_id}/resolve", tags=["直达快享"], responses=STAFF_ERRORS,
             dependencies=[Depends(verify_csrf)])
def resolve(request: Request, session: SessionDep, user: AnyStaff, dispute_id: int,
            accept: Annotated[str | None, Body(embed=True, max_length=200)] = None,
            reject: Annotated[str | None, Body(embed=True, max_length=500)] = None) -> dict:
    """Settle a dispute of the user's department: ``accept`` the corrected value or ``reject``
    with a reason (one of the two)."""
    row = resolve_dispute(session=session, staff=Staff(user, client_address(request)),
                          dispute_id=dispute_id, accept=accept, reject=reject)
    return {"id": row.id, "status": row.status, "resolution": row.resolution}


def _list(session: Session, lst: DirectList) -> dict:
    return list_dict(session, lst)


@router.post("/api/direct/lists", tags=["直达快享"], responses=STAFF_ERRORS,
             dependencies=[Depends(verify_csrf)])
def generate_list(session: SessionDep, user: AnyStaff, policy_id: Annotated[int, Body()],
                  period: Annotated[str, Body()]) -> dict:
    """Generate a 免申即享 list (waiting for review) from the facts."""
    lst = direct.generate(session=session, policy_id=policy_id, period=period, by=user.name)
    return _list(session, lst)


@router.get("/api/direct/lists/{list_id}", tags=["直达快享"], responses=STAFF_ERRORS)
def show_list(session: SessionDep, user: AnyStaff, list_id: int) -> dict:
    """A list with its entries, amounts, formulas and the facts used."""
    return _list(session, direct.get_list(session=session, list_id=list_id))


@router.post("/api/direct/lists/{list_id}/review", tags=["直达快享"], responses=STAFF_ERRORS,
             dependencies=[Depends(verify_csrf)])
def review_list(request: Request, session: SessionDep, user: AnyStaff, list_id: int,
                approve: Annotated[bool, Body(embed=True)] = True,
                comment: Annotated[str, Body(embed=True)] = "") -> dict:
    """Pass or return a list (a 审核人 other than its generator)."""
    lst = direct.review(session=session, staff=Staff(user, client_address(request)),
                        list_id=list_id, approve=approve, comment=comment)
    return _list(session, lst)


@router.post("/api/direct/lists/{list_id}/publish", tags=["直达快享"], responses=STAFF_ERRORS,
             dependencies=[Depends(verify_csrf)])
def publish_list(request: Request, session: SessionDep, user: AnyStaff, list_id: int) -> dict:
    """Publish a reviewed list: applications at 已核定 and notices, never twice."""
    return direct.publish(session=session, staff=Staff(user, client_address(request)),
                          list_id=list_id).to_dict()


@router.get("/api/direct/stats", tags=["直达快享"], responses=STAFF_ERRORS, response_model=None)
def stats(session: SessionDep, settings: SettingsDep, user: AnyStaff, by: str = "policy",
          format: str = "json") -> Response | list[dict]:  # noqa: A002
    """直达快享 statistics per policy or department (``format=csv`` for a spreadsheet)."""
    from kb.clock import county_today
    from push.direct.stats import direct_stats, stats_csv

    today = county_today()
    rows = direct_stats(session=session, today=today, year=today.year,
                        guide_days=push_settings(settings).guide_due_days,
                        by="department" if by == "department" else "policy")
    if format == "csv":
        return Response(stats_csv(rows), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="direct-stats-{by}.csv"'})
    return [r.to_dict() for r in rows]
