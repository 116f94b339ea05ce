"""Request dependencies: the one commit point per request."""

from collections.abc import Iterator

from fastapi import Request
from sqlmodel import Session

from kb.db import session_scope


def get_session(request: Request) -> Iterator[Session]:
    """A session that commits when the request succeeds and rolls back when it fails."""
    with session_scope(request.app.state.engine) as session:
        yield session
