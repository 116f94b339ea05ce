"""Request dependencies: the one commit point per request, and what the app built at start-up
(``web.app``'s lifespan puts it on ``app.state``) as typed route parameters."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlmodel import Session

from kb.config import Settings
from kb.database.db import read_scope, session_scope
from kb.feedback.questions import LedgerFiler
from kb.feedback.writer import QuestionWriter
from kb.library.index_state import BUMPED
from kb.search.service import Searcher
from kb.staff.models import User
from web.auth import require_user
from web.settings import WebSettings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    """The request's session: a unit of work that commits when a POST succeeds and rolls back
    when it fails; for GET and HEAD a read-only session that never takes the write lock (a page
    that writes on GET, such as a tracked link, depends on ``get_write_session``).

    Routes depend on it with ``scope="function"``: the commit then happens before the response is
    sent, so a redirect never outruns its change and a failed commit is reported as a failure.
    """
    if request.method in SAFE_METHODS:
        with read_scope(request.app.state.engine) as session:
            yield session
        return
    yield from get_write_session(request)


def get_write_session(request: Request) -> Iterator[Session]:
    """A unit of work that writes whatever the method (a write transaction from its start)."""
    with session_scope(request.app.state.engine) as session:
        yield session
    if session.info.get(BUMPED):  # published, withdrawn or rolled back: search follows at once
        request.app.state.searcher.changed()


# The request's unit of work as a route parameter: ``session: SessionDep``. With
# ``scope="function"`` the commit happens before the response is sent (see ``get_session``).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]


# What the lifespan built, one parameter each: ``settings: SettingsDep``. The getters are async
# so FastAPI calls them on the event loop (a sync one would be a hop to a worker thread), once
# per request however many dependencies ask for them; they add nothing to the OpenAPI document.


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was started with."""
    return request.app.state.settings


async def get_web_settings(request: Request) -> WebSettings:
    """web's own settings (web/settings.py)."""
    return request.app.state.site


async def get_engine(request: Request) -> Engine:
    """The database engine, for a route that opens its own short unit of work."""
    return request.app.state.engine


async def get_searcher(request: Request) -> Searcher:
    """This worker's search service."""
    return request.app.state.searcher


async def get_questions(request: Request) -> QuestionWriter:
    """This worker's question writer (kb.feedback.writer): questions are logged in batches."""
    return request.app.state.questions


async def get_ledger_filer(request: Request) -> LedgerFiler:
    """This worker's ledger filer: unanswered questions are filed off the request path."""
    return request.app.state.ledger_filer


async def get_templates(request: Request) -> Jinja2Templates:
    """The page templates."""
    return request.app.state.templates


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
WebSettingsDep = Annotated[WebSettings, Depends(get_web_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SearcherDep = Annotated[Searcher, Depends(get_searcher)]
QuestionsDep = Annotated[QuestionWriter, Depends(get_questions)]
LedgerFilerDep = Annotated[LedgerFiler, Depends(get_ledger_filer)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
# The signed-in user: 401 under /api/, a redirect to sign-in for a page (web.auth.require_user).
CurrentUserDep = Annotated[User, Depends(require_user)]


def questions_written(questions: QuestionsDep) -> None:
    """Write this worker's batched questions first (kb.feedback.writer), so a page that reads the
    question log shows the questions just asked here."""
    questions.flush()
