"""The public question page (/ask) and the site icon."""

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse
from sqlmodel import Session

from kb.feedback.starters import starter_questions
from web.deps import TemplatesDep, get_session

router = APIRouter(include_in_schema=False)
FAVICON = Path(__file__).resolve().parent.parent / "static" / "favicon.ico"


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """The site icon browsers ask for on every page."""
    return FileResponse(FAVICON, media_type="image/x-icon",
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/ask", response_class=HTMLResponse)
def ask_page(request: Request,
             session: Annotated[Session, Depends(get_session, scope="function")],
             templates: TemplatesDep) -> HTMLResponse:
    """Ask in a sentence: the widget in the page, started with the most asked published FAQ."""
    return templates.TemplateResponse(request, "ask.html", {
        "starters": starter_questions(session=session)})
