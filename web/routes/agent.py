"""The 12345 hotline agent console: search as you type, highlighted clauses, ready 答复口径 scripts."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from kb import clock
from kb.clock import county_day
from kb.database.db import read_scope
from kb.feedback.console import console_view
from kb.feedback.questions import (
    HOT_MIN_ASKERS,
    asked_on,
    hot_questions,
    log_question,
    recent_unanswered,
)
from kb.library.policies import facet_options, search_filters
from kb.operations.logs import current_request_id
from kb.search.answers import ask
from kb.staff.models import Role
from web.auth import staff_only
from web.clients import client_address
from web.deps import (
    EngineDep,
    SearcherDep,
    SessionDep,
    SettingsDep,
    TemplatesDep,
    WriteSessionDep,
    questions_written,
)

router = APIRouter(dependencies=[Depends(staff_only(Role.AGENT, Role.ADMIN)),
                                  Depends(questions_written)])
# Typing 高, 高企, 高企奖励 within this many seconds is logged as one question.
REFINE_WITHIN_S = 30.0


def _panels(session: Session) -> dict:
    today = county_day(clock.now())
    return {"hot": hot_questions(session=session, day=today, limit=10),
            "asked_today": asked_on(session=session, day=today),
            "hot_min_askers": HOT_MIN_ASKERS,
            "unanswered": recent_unanswered(session=session, limit=10)}


@router.get("/agent", response_class=HTMLResponse, include_in_schema=False)
def agent_page(request: Request, session: SessionDep, templates: TemplatesDep) -> HTMLResponse:
    """The console page (signed-in agents and admins)."""
    return templates.TemplateResponse(request, "agent.html", {
        "options": facet_options(session=session), **_panels(session)})


@router.get("/api/agent/search", tags=["坐席"], responses={
    401: {"description": "请先登录"}, 403: {"description": "需要坐席或管理员角色"}, 422: {"description": "空问题或未知的筛选值"}})
def agent_search(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    engine: EngineDep,
    searcher: SearcherDep,
    q: Annotated[str, Query(description="问题或关键词")] = "",
    department: Annotated[str, Query()] = "",
    validity: Annotated[list[str] | None, Query()] = None,
    theme: Annotated[str, Query()] = "",
    k: Annotated[int, Query(ge=1, le=20)] = 8,
) -> dict:
    """The answer object plus, per hit, the text with the query's words in <mark> and a script."""
    with read_scope(engine) as reader:  # the write lock only for the log line
        filters = search_filters(session=reader, validity=validity, department=department,
                                 theme=theme)
    result = ask(searcher=searcher, question=q, k=k, threshold=settings.answer_threshold,
                 hotline=settings.hotline, filters=filters)
    row = log_question(session=session, question=q, result=result, channel="agent",
                       request_id=current_request_id(),
                       client=client_address(request), salt=request.app.state.client_salt,
                       refine_within_s=REFINE_WITHIN_S)
    return console_view(result=result, hotline=settings.hotline) | {"question_id": row.id}


@router.get("/api/agent/panels", tags=["坐席"])
def agent_panels(session: SessionDep) -> dict:
    """Today's hot questions and the latest unanswered ones, for the console's side panels."""
    panels = _panels(session)
    return {"hot": [{"question": q, "count": n} for q, n in panels["hot"]],
            "asked_today": panels["asked_today"],
            "unanswered": [{"id": r.id, "question": r.question, "asked_at": r.asked_at.isoformat(),
                            "answer_type": r.answer_type} for r in panels["unanswered"]]}
