"""The database's version counter for derived indexes, which every process follows."""

from sqlmodel import Session

from kb.models import IndexState, utcnow

PASSAGES = "passages"
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
