"""政策体检: a firm enters or looks up its profile and sees the policies that apply, with reasons."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlmodel import Session

from kb import clock
from kb.errors import InvalidInput
from push.facts.catalog import BUILTIN, parse_value
from push.firms.models import FirmProfile
from push.matching.checkup import CheckupReport, checkup, require_profile, typed_sheet
from web.deps import TemplatesDep, get_session

router = APIRouter()
QUALIFICATIONS = ["高新技术企业", "专精特新中小企业", "科技型中小企业", "创新型中小企业", "规模以上工业企业"]


def _profile(data: dict) -> FirmProfile:
    try:
        return FirmProfile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise InvalidInput(f"{field}: {err['msg'].removeprefix('Value error, ')}") from None


BY_LINK = ("按统一社会信用代码查看已登记企业的体检结果，请使用推送消息中的企业专属链接；"
           "此处请填写企业的行业、人数、营收等情况")


# Figures a visitor may type for the calculator (the latest year's; blank: not given). Each is
# read as its catalog defines it: 新增就业 is never taken for graduate hires.
TYPED_FACTS = ("equipment_investment", "rd_expense", "new_jobs", "graduate_hires", "revenue_growth",
               "tax_paid")


def _facts(data: dict) -> dict:
    """The typed figures, checked like an import's (a bad one names the field)."""
    out = {}
    for name in TYPED_FACTS:
        raw = data.pop(name, None)
        if raw in (None, ""):
            continue
        try:
            out[name] = parse_value(BUILTIN[name], raw)
        except ValueError as exc:
            raise InvalidInput(f"{name}: {exc}") from None
    return out


def _report(session: Session, uscc: object, data: dict, today: date | None) -> CheckupReport:
    # Anonymous: from the profile entered only. A credit code alone would show a registered
    # firm's data to anyone, and a different answer for unknown codes would tell which are.
    facts = _facts(data)
    if uscc not in (None, "") and not facts and not any(
            v not in (None, "", []) for v in data.values()):
        raise InvalidInput(BY_LINK)
    profile = _profile(data)
    require_profile(profile, facts)
    year = (today or clock.county_today()).year
    return checkup(session=session, profile=profile, today=today,
                   sheet=typed_sheet(facts, [year - 1, year]))


@router.get("/checkup", response_class=HTMLResponse)
def checkup_form(request: Request, templates: TemplatesDep) -> HTMLResponse:
    """The empty 政策体检 form."""
    return templates.TemplateResponse(
        request, "checkup.html", {"report": None, "form": {}, "qualifications": QUALIFICATIONS})


@router.post("/checkup", response_class=HTMLResponse)
def checkup_page(
    request: Request,
    session: Annotated[Session, Depends(get_session, scope="function")],
    templates: TemplatesDep,
    uscc: Annotated[str, Form()] = "",
    industry_code: Annotated[str, Form()] = "",
    employees: Annotated[str, Form()] = "",
    revenue: Annotated[str, Form()] = "",
    assets: Annotated[str, Form()] = "",
    region: Annotated[str, Form()] = "",
    business_scope: Annotated[str, Form()] = "",
    qualifications: Annotated[list[str] | None, Form()] = None,
    today: Annotated[str, Form()] = "",
    equipment_investment: Annotated[str, Form()] = "",
    rd_expense: Annotated[str, Form()] = "",
    new_jobs: Annotated[str, Form()] = "",
    graduate_hires: Annotated[str, Form()] = "",
    revenue_growth: Annotated[str, Form()] = "",
    tax_paid: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """The report for the profile entered (or the registered firm named by its credit code)."""
    form = {"uscc": uscc, "industry_code": industry_code, "employees": employees,
            "revenue": revenue, "assets": assets, "region": region,
            "business_scope": business_scope, "qualifications": qualifications or [],
            "equipment_investment": equipment_investment, "rd_expense": rd_expense,
            "new_jobs": new_jobs, "graduate_hires": graduate_hires,
            "revenue_growth": revenue_growth, "tax_paid": tax_paid}
    try:
        when = date.fromisoformat(today) if today else None
    except ValueError:
        raise InvalidInput(f"today: {today!r} is not a date (YYYY-MM-DD)") from None
    data = {k: v for k, v in form.items() if k != "uscc"}
    report = _report(session, uscc, data, when)
    return templates.TemplateResponse(
        request, "checkup.html", {"report": report, "form": form, "qualifications": QUALIFICATIONS})


@router.post("/api/checkup", responses={422: {"description": "企业情况有误，或只给了信用代码"}})
def checkup_api(body: dict, session: Annotated[Session, Depends(get_session, scope="function")]) -> dict:
    """The 政策体检 report as JSON for a profile (industry_code, employees, revenue, assets,
    region, qualifications, business_scope), optional figures for the calculator
    (equipment_investment, rd_expense, new_jobs, graduate_hires, revenue_growth, tax_paid) and
    ``"today"``."""
    today = body.pop("today", None)
    try:
        when = date.fromisoformat(today) if today else None
    except (TypeError, ValueError):
        raise InvalidInput(f"today: {today!r} is not a date (YYYY-MM-DD)") from None
    return _report(session, body.pop("uscc", None), body, when).to_dict()
