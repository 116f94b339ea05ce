"""Request dependencies: the one commit point per request."""

from collections.abc import Iterator

from fastapi import Request
from sqlmodel import Session

from kb.db import session_scope
from kb.library.index_state import BUMPED


def get_session(request: Request) -> Iterator[Session]:
    """A session that commits when the request succeeds and rolls back when it fails.

    Routes depend on it with ``scope="function"``: the commit then happens before the response is
    sent, so a redirect never outruns its change and a failed commit is reported as a failure.
    """
    with session_scope(request.app.state.engine) as session:
        yield session
    if session.info.get(BUMPED):  # published, withdrawn or rolled back: search follows at once
        request.app.state.searcher.changed()
