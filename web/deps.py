"""Request dependencies: the one commit point per request."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from kb.database.db import read_scope, session_scope
from kb.library.index_state import BUMPED

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


def questions_written(request: Request) -> None:
    """Write this worker's batched questions first (kb.feedback.writer), so a page that reads the
    question log shows the questions just asked here."""
    request.app.state.questions.flush()


# The request's unit of work as a route parameter: ``session: SessionDep``. With
# ``scope="function"`` the commit happens before the response is sent (see ``get_session``).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]
