"""政策体检: a firm enters or looks up its profile and sees the policies that apply, with reasons."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from kb import clock
from kb.errors import InvalidInput
from kb.standards.industry_search import find_industries, industry_label, resolve_industry
from push.facts.catalog import BUILTIN, parse_value
from push.firms.models import FirmProfile
from push.matching.checkup import CheckupReport, checkup, require_profile, typed_sheet
from web.deps import TemplatesDep, get_session

router = APIRouter()
QUALIFICATIONS = ["高新技术企业", "专精特新中小企业", "科技型中小企业", "创新型中小企业", "规模以上工业企业"]


# What the page calls each part of the profile (the API's messages name the field itself).
LABELS = {"industry_code": "行业", "employees": "从业人员", "revenue": "营业收入", "assets": "资产总额",
          "region": "所在镇（街道）", "qualifications": "资质", "business_scope": "经营范围"}
_WHAT = {"int_parsing": "应为整数", "int_from_float": "应为整数", "float_parsing": "应为数字",
         "greater_than_equal": "不能小于0", "string_too_long": "太长了"}


def _profile(data: dict, *, page: bool = False) -> FirmProfile:
    try:
        return FirmProfile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if not page:
            raise InvalidInput(f"{field}: {msg}") from None
        if err["type"] == "value_error":  # our own validators' words, already Chinese
            raise InvalidInput(msg) from None
        label = LABELS.get(str(err["loc"][0]), "填写的内容")
        raise InvalidInput(f"{label}{_WHAT.get(err['type'], '填写有误')}") from None


NO_INDUSTRY = ("没有找到与“{text}”相符的行业。请换个说法，如“电子”“饭店”“塑料制品”“物流”，"
               "或先不填行业")


INDUSTRY_QUERY = "行业名称、常用说法或代码，如“电子”“饭店”“3911”"


class IndustryPublic(BaseModel):
    """One GB/T 4754-2017 industry a name search found."""

    code: str
    name: str
    section: str  # 门类


BY_LINK = ("按统一社会信用代码查看已登记企业的体检结果，请使用推送消息中的企业专属链接；"
           "此处请填写企业的行业、人数、营收等情况")


# Figures a visitor may type for the calculator (the latest year's; blank: not given). Each is
# read as its catalog defines it: 新增就业 is never taken for graduate hires.
TYPED_FACTS = ("equipment_investment", "rd_expense", "new_jobs", "graduate_hires", "revenue_growth",
               "tax_paid")


def _facts(data: dict, *, page: bool = False) -> dict:
    """The typed figures, checked like an import's (a bad one names the field for the API, its
    label on the page)."""
    out = {}
    for name in TYPED_FACTS:
        raw = data.pop(name, None)
        if raw in (None, ""):
            continue
        try:
            out[name] = parse_value(BUILTIN[name], raw)
        except ValueError as exc:
            raise InvalidInput(str(exc) if page else f"{name}: {exc}") from None
    return out


def _report(session: Session, uscc: object, data: dict, today: date | None, *,
            page: bool = False) -> CheckupReport:
    # Anonymous: from the profile entered only. A credit code alone would show a registered
    # firm's data to anyone, and a different answer for unknown codes would tell which are.
    facts = _facts(data, page=page)
    if uscc not in (None, "") and not facts and not any(
            v not in (None, "", []) for v in data.values()):
        raise InvalidInput(BY_LINK)
    profile = _profile(data, page=page)
    require_profile(profile, facts)
    year = (today or clock.county_today()).year
    return checkup(session=session, profile=profile, today=today,
                   sheet=typed_sheet(facts, [year - 1, year]))


def _page(request: Request, templates: Jinja2Templates, *, form: dict, status: int = 200,
          **context: object) -> HTMLResponse:
    base = {"report": None, "form": form, "qualifications": QUALIFICATIONS, "choice": None,
            "error": None, "hotline": request.app.state.settings.hotline}
    return templates.TemplateResponse(request, "checkup.html", base | context,
                                      status_code=status)


@router.get("/checkup", response_class=HTMLResponse)
def checkup_form(request: Request, templates: TemplatesDep) -> HTMLResponse:
    """The empty 政策体检 form."""
    return _page(request, templates, form={})


@router.get("/api/industries", tags=["政策体检"])
def industries(q: Annotated[str, Query(max_length=50, description=INDUSTRY_QUERY)] = "",
               ) -> list[IndustryPublic]:
    """GB/T 4754-2017 industries whose name or everyday word matches ``q``, best first (at most 8)."""
    return [IndustryPublic(code=i.code, name=i.name, section=i.section_name)
            for i in find_industries(q)]


@router.post("/checkup", response_class=HTMLResponse)
def checkup_page(
    request: Request,
    session: Annotated[Session, Depends(get_session, scope="function")],
    templates: TemplatesDep,
    uscc: Annotated[str, Form()] = "",
    industry: Annotated[str, Form()] = "",
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
    """The report for the profile entered; an industry typed by name is looked up, and when it
    could be several the form asks which (its problems are shown on the form, kept filled)."""
    form = {"uscc": uscc, "industry_code": industry_code, "employees": employees,
            "revenue": revenue, "assets": assets, "region": region,
            "business_scope": business_scope, "qualifications": qualifications or [],
            "equipment_investment": equipment_investment, "rd_expense": rd_expense,
            "new_jobs": new_jobs, "graduate_hires": graduate_hires,
            "revenue_growth": revenue_growth, "tax_paid": tax_paid}
    shown = dict(form, industry=industry)
    try:
        when = date.fromisoformat(today) if today else None
    except ValueError:  # a test's or a bookmarked post's: the page never sends one
        return _page(request, templates, form=shown, status=422,
                     error=f"体检日期“{today}”不是有效日期（格式 YYYY-MM-DD）")
    choice = None
    try:
        if not industry_code.strip() and industry.strip():
            choice = resolve_industry(industry)
            if choice.industry is None:  # several industries fit, or none: the firm says which
                if not choice.candidates:
                    raise InvalidInput(NO_INDUSTRY.format(text=industry.strip()))
                return _page(request, templates, form=shown, choice=choice)
            industry_code = form["industry_code"] = choice.industry.code
        shown["industry"] = industry_label(industry_code) or industry
        data = {k: v for k, v in form.items() if k != "uscc"}
        report = _report(session, uscc, data, when, page=True)
    except InvalidInput as exc:
        return _page(request, templates, form=shown, status=422, error=exc.message)
    return _page(request, templates, form=shown, report=report, resolved=choice)


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
