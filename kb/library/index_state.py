"""The database's version counter for derived indexes, which every process follows."""

from sqlmodel import Session, update

from kb.db import insert_ignore
from kb.models import IndexState, utcnow

PASSAGES = "passages"
BUMPED = "kb_index_bumped"  # set in session.info, so the committer can tell its own searcher


def bump_version(*, session: Session, name: str = PASSAGES) -> int:
    """Mark the passages as changed; processes holding an older index reload it."""
    # One UPDATE ... RETURNING: two processes bumping at once get two numbers (a read followed by
    # a write could give both the same one, and a publish would stay unseen until the next).
    insert_ignore(session, IndexState, [{"name": name, "version": 0, "updated_at": utcnow()}])
    version = session.execute(
        update(IndexState).where(IndexState.name == name)
        .values(version=IndexState.version + 1, updated_at=utcnow())
        .returning(IndexState.version)).scalar_one()
    session.info[BUMPED] = True
    return version


def current_version(*, session: Session, name: str = PASSAGES) -> int:
    """The version the database is at (0 before anything was ingested)."""
    state = session.get(IndexState, name)
    return state.version if state else 0
