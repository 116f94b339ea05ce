"""The database's version counter for derived indexes, which every process follows, and its identity."""

import secrets

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from kb.models import IndexState, utcnow

PASSAGES = "passages"
IDENTITY = "identity"  # a row whose number names this database, so index folders cannot mix
BUMPED = "kb_index_bumped"  # set in session.info, so the committer can tell its own searcher


def bump_version(*, session: Session, name: str = PASSAGES) -> int:
    """Mark the passages as changed; processes holding an older index reload it."""
    state = session.get(IndexState, name) or IndexState(name=name)
    state.version += 1
    state.updated_at = utcnow()
    session.add(state)
    session.flush()
    session.info[BUMPED] = True
    return state.version


def current_version(*, session: Session, name: str = PASSAGES) -> int:
    """The version the database is at (0 before anything was ingested)."""
    state = session.get(IndexState, name)
    return state.version if state else 0


def database_identity(engine: Engine) -> str:
    """This database's identity, made once (at init, or on first use by an older database)."""
    with Session(engine) as session:
        state = session.get(IndexState, IDENTITY)
        if state is None:
            # Random, not counted: two databases made anywhere, any time, never share one.
            session.add(IndexState(name=IDENTITY, version=secrets.randbits(62)))
            try:
                session.commit()
            except IntegrityError:  # another process made it first: theirs stands
                session.rollback()
            state = session.get(IndexState, IDENTITY)
        assert state is not None
        return f"{state.version:016x}"
