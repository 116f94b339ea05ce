"""Insert-or-ignore for the dialects PolicyKB runs on (SQLite, PostgreSQL)."""

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session


def insert_ignore(session: Session, model: type, rows: list[dict]) -> int:
    """Insert ``rows``, skipping any that hit a UNIQUE constraint; returns how many were new."""
    if not rows:
        return 0
    maker = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    added = 0
    for start in range(0, len(rows), 500):
        stmt = maker(model.__table__).on_conflict_do_nothing()
        result = session.connection().execute(stmt, rows[start:start + 500])
        added += max(result.rowcount or 0, 0)
    return added
