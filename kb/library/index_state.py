"""The database's version counter for derived indexes, which every process follows, and its identity."""

import secrets

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, update

from kb.db import insert_ignore
from kb.models import IndexState, utcnow

PASSAGES = "passages"
IDENTITY = "identity"  # a row whose number names this database, so index folders cannot mix
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
