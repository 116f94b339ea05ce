"""The audit log is append-only in the database itself: changing history fails with an error."""

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError

from tests.utils.databases import on_postgres

CHANGES = ["UPDATE auditentry SET actor = 'someone else'", "DELETE FROM auditentry",
           "DELETE FROM auditentry WHERE actor = 'alice'"]
if on_postgres():
    CHANGES.append("TRUNCATE auditentry")  # SQLite has no TRUNCATE (DELETE covers it)


def _write_one(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO auditentry (at, actor, action, record_kind, detail, "
                          "client) VALUES (CURRENT_TIMESTAMP, 'alice', 'publish', 'policy', "
                          "'{}', '')"))


@pytest.mark.parametrize("sql", CHANGES)
def test_changing_the_audit_log_fails_loudly_and_changes_nothing(engine, sql):
    _write_one(engine)
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text(sql))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT actor FROM auditentry")).scalars().all() == ["alice"]


def test_appending_still_works(engine):
    _write_one(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO auditentry (at, actor, action, record_kind, detail, client) "
                          "VALUES (CURRENT_TIMESTAMP, 'bob', 'login', '', '{}', '')"))
        assert conn.execute(text("SELECT count(*) FROM auditentry")).scalar() == 2
