"""The 12345 hotline agent console: search as you type, highlighted clauses, ready 答复口径 scripts."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from kb.clock import county_day
from kb.feedback.console import console_view
from kb.feedback.questions import hot_questions, log_question, recent_unanswered
from kb.library.policies import facet_options, search_filters
from kb.search.answers import ask
from web.auth import require_staff
from web.deps import get_session
from web.routes.ask import client_address

router = APIRouter(dependencies=[Depends(require_staff)])
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
# Typing 高, 高企, 高企奖励 within this many seconds is logged as one question.
REFINE_WITHIN_S = 30.0


def _panels(session: Session) -> dict:
    today = county_day(datetime.now(UTC))
    return {"hot": hot_questions(session=session, day=today, limit=10),
            "unanswered": recent_unanswered(session=session, limit=10)}


@router.get("/agent", response_class=HTMLResponse, include_in_schema=False)
def agent_page(request: Request, session: SessionDep) -> HTMLResponse:
    """The console page (staff networks only)."""
    return request.app.state.templates.TemplateResponse(request, "agent.html", {
        "options": facet_options(session=session), **_panels(session)})


@router.get("/api/agent/search", tags=["坐席"], responses={
    403: {"description": "仅限政务网内的坐席使用"}, 422: {"description": "空问题或未知的筛选值"}})
def agent_search(
    request: Request,
    session: SessionDep,
    q: Annotated[str, Query(description="问题或关键词")] = "",
    department: Annotated[str, Query()] = "",
    validity: Annotated[list[str] | None, Query()] = None,
    theme: Annotated[str, Query()] = "",
    k: Annotated[int, Query(ge=1, le=20)] = 8,
) -> dict:
    """The answer object plus, per hit, the text with the query's words in <mark> and a script."""
    s = request.app.state.settings
    filters = search_filters(session=session, validity=validity, department=department, theme=theme)
    result = ask(searcher=request.app.state.searcher, question=q, k=k,
                 threshold=s.answer_threshold, hotline=s.hotline, filters=filters)
    row = log_question(session=session, question=q, result=result, channel="agent",
                       client=client_address(request), salt=request.app.state.client_salt,
                       refine_within_s=REFINE_WITHIN_S)
    return console_view(result=result, hotline=s.hotline) | {"question_id": row.id}


@router.get("/api/agent/panels", tags=["坐席"])
def agent_panels(session: SessionDep) -> dict:
    """Today's hot questions and the latest unanswered ones, for the console's side panels."""
    panels = _panels(session)
    return {"hot": [{"question": q, "count": n} for q, n in panels["hot"]],
            "unanswered": [{"id": r.id, "question": r.question, "asked_at": r.asked_at.isoformat(),
                            "answer_type": r.answer_type} for r in panels["unanswered"]]}
