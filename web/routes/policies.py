"""Published policies: the JSON API and the server-rendered pages (list with filters, one policy)."""

from typing import Annotated, TypedDict

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from kb.feedback.starters import starter_questions
from kb.library.policies import (
    MAX_PER_PAGE,
    PolicyDetail,
    PolicyPage,
    facet_options,
    list_policies,
    parse_date,
    parse_positive,
    policy_detail,
)
from kb.search.service import Searcher
from kb.search.spelling import spellings
from web.deps import SearcherDep, SessionDep, TemplatesDep

router = APIRouter()


class ListForm(TypedDict):
    """The list's filters as typed, shown again in the form (validity without blanks)."""

    q: str
    department: str
    validity: list[str]
    theme: str
    issued_from: str
    issued_to: str
    per_page: str


class ListParams:
    """The list's query parameters, as typed in a form: empty means "any"; bad values say why."""

    def __init__(
        self,
        q: Annotated[str, Query(description="标题或文号中的文字")] = "",
        department: Annotated[str, Query(description="部门名称，如 县科技局")] = "",
        validity: Annotated[list[str] | None, Query(description="有效 / 失效 / 废止 / 已修订，可多选")] = None,
        theme: Annotated[str, Query(description="主题，如 科技创新")] = "",
        issued_from: Annotated[str, Query(description="发文日期起，YYYY-MM-DD",
                                          json_schema_extra={"format": "date"})] = "",
        issued_to: Annotated[str, Query(description="发文日期止，YYYY-MM-DD",
                                        json_schema_extra={"format": "date"})] = "",
        page: Annotated[str, Query(description="页码，从 1 开始")] = "",
        per_page: Annotated[str, Query(description=f"每页条数，1–{MAX_PER_PAGE}")] = "",
    ) -> None:
        self.form: ListForm = {
            "q": q, "department": department, "validity": [v for v in validity or [] if v],
            "theme": theme, "issued_from": issued_from, "issued_to": issued_to,
            "per_page": per_page}
        self.issued_from = parse_date("issued_from", issued_from)
        self.issued_to = parse_date("issued_to", issued_to)
        self.page = parse_positive("page", page, default=1, maximum=100_000)
        self.per_page = parse_positive("per_page", per_page, default=20, maximum=MAX_PER_PAGE)

    def run(self, session: Session, searcher: Searcher) -> PolicyPage:
        """The page of policies these parameters ask for (``q`` also as the words it abbreviates)."""
        f = self.form
        return list_policies(session=session, q=f["q"], department=f["department"],
                             validity=f["validity"], theme=f["theme"], issued_from=self.issued_from,
                             issued_to=self.issued_to, page=self.page, per_page=self.per_page,
                             also=spellings(searcher, f["q"]))


@router.get("/api/policies", tags=["政策"], responses={422: {"description": "日期、页码或筛选值有误"}})
def api_policies(params: Annotated[ListParams, Depends()], session: SessionDep,
                 searcher: SearcherDep) -> PolicyPage:
    """Published policies (the 规范性文件 list), newest first, filtered and paged."""
    return params.run(session, searcher)


@router.get("/api/policies/{policy_id}", tags=["政策"],
            responses={404: {"description": "没有这个已发布的政策"}})
def api_policy(policy_id: str, session: SessionDep) -> PolicyDetail:
    """One published policy (by number or bulk-file id) with clauses, interpretations, FAQ, related."""
    return policy_detail(session=session, ref=policy_id)


@router.get("/policies", response_class=HTMLResponse, include_in_schema=False)
def policies_page(request: Request, params: Annotated[ListParams, Depends()],
                  session: SessionDep, searcher: SearcherDep,
                  templates: TemplatesDep) -> HTMLResponse:
    """The public 规范性文件 list with filters and pages."""
    result = params.run(session, searcher)
    return templates.TemplateResponse(request, "policies.html", {
        "result": result, "form": params.form, "options": facet_options(session=session)})


@router.get("/policies/{policy_id}", response_class=HTMLResponse, include_in_schema=False)
def policy_page(request: Request, policy_id: str, session: SessionDep,
                templates: TemplatesDep) -> HTMLResponse:
    """One policy: full text by clause, interpretation, FAQ, service elements, related policies."""
    policy = policy_detail(session=session, ref=policy_id)
    return templates.TemplateResponse(request, "policy.html", {"p": policy})


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, session: SessionDep, templates: TemplatesDep) -> HTMLResponse:
    """The start page: a question box, then what else a visitor can use."""
    return templates.TemplateResponse(request, "home.html", {
        "starters": starter_questions(session=session)})
