"""The database's version counter for derived indexes, which every process follows, its change log,
and its identity."""

import secrets

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, update

from kb.database.db import insert_ignore
from kb.models import IndexChange, IndexState, utcnow

PASSAGES = "passages"
IDENTITY = "identity"  # a row whose number names this database, so index folders cannot mix
BUMPED = "kb_index_bumped"  # set in session.info, so the committer can tell its own searcher
CHANGED = "kb_index_changed"  # policy ids whose passages or ranking facts this session changed
LOG_KEEP = 1000  # versions of change log kept; a process further behind re-reads everything


def mark_changed(session: Session, policy_id: int | None) -> None:
    """Note that a policy's passages or ranking facts change in this transaction."""
    session.info.setdefault(CHANGED, set()).add(policy_id)


def bump_version(*, session: Session, name: str = PASSAGES,
                 policy_ids: list[int] | None = None) -> int:
    """Mark the passages as changed; processes holding an older index patch it.

    The change log names the policies changed (those passed and those marked in this session),
    so a process patches only those; a bump naming none logs "anything changed".
    """
    # One UPDATE ... RETURNING: two processes bumping at once get two numbers (a read followed by
    # a write could give both the same one, and a publish would stay unseen until the next).
    insert_ignore(session, IndexState, [{"name": name, "version": 0, "updated_at": utcnow()}])
    version = session.execute(
        update(IndexState).where(col(IndexState.name) == name)
        .values(version=col(IndexState.version) + 1, updated_at=utcnow())
        .returning(col(IndexState.version))).scalar_one()
    if name == PASSAGES:
        changed = set(policy_ids or []) | session.info.pop(CHANGED, set())
        if None in changed or not changed:
            changed = {None}
        session.execute(insert(IndexChange), [{"version": version, "policy_id": p}
                                              for p in sorted(changed, key=lambda p: p or 0)])
        session.execute(delete(IndexChange).where(col(IndexChange.version) <= version - LOG_KEEP))
    session.info[BUMPED] = True
    return version


def changes_since(*, session: Session, since: int, until: int) -> set[int] | None:
    """Policies changed by versions (since, until], or None when the log cannot say (read all)."""
    rows = session.execute(select(col(IndexChange.version), col(IndexChange.policy_id)).where(
        col(IndexChange.version) > since, col(IndexChange.version) <= until)).all()
    if len({v for v, _ in rows}) < until - since:
        return None  # versions from before the log, or pruned: only a full comparison is safe
    out = {p for _, p in rows}
    return None if None in out else out


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
