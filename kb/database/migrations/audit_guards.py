"""The audit log's append-only guards as revision 0001 makes them (frozen: a change is a new revision)."""

from sqlalchemy import text
from sqlalchemy.engine import Connection

MESSAGE = "the audit log is append-only"

SQLITE = (  # SQLite has no TRUNCATE: DELETE without WHERE is a DELETE, refused by the trigger
    "CREATE TRIGGER IF NOT EXISTS auditentry_no_update BEFORE UPDATE ON auditentry "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    "CREATE TRIGGER IF NOT EXISTS auditentry_no_delete BEFORE DELETE ON auditentry "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
)
POSTGRES = (
    # Rules made by create_all-era versions turned a change into a silent no-op: an error it is.
    "DROP RULE IF EXISTS auditentry_no_update ON auditentry",
    "DROP RULE IF EXISTS auditentry_no_delete ON auditentry",
    "CREATE OR REPLACE FUNCTION auditentry_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP "
    "USING ERRCODE = 'insufficient_privilege'; END $$",
    "DROP TRIGGER IF EXISTS auditentry_no_change ON auditentry",
    "CREATE TRIGGER auditentry_no_change BEFORE UPDATE OR DELETE ON auditentry "
    "FOR EACH ROW EXECUTE FUNCTION auditentry_append_only()",
    "DROP TRIGGER IF EXISTS auditentry_no_truncate ON auditentry",
    "CREATE TRIGGER auditentry_no_truncate BEFORE TRUNCATE ON auditentry "
    "FOR EACH STATEMENT EXECUTE FUNCTION auditentry_append_only()",
)
DROP = {
    "sqlite": ("DROP TRIGGER IF EXISTS auditentry_no_update",
               "DROP TRIGGER IF EXISTS auditentry_no_delete"),
    "postgresql": ("DROP TRIGGER IF EXISTS auditentry_no_change ON auditentry",
                   "DROP TRIGGER IF EXISTS auditentry_no_truncate ON auditentry",
                   "DROP FUNCTION IF EXISTS auditentry_append_only()"),
}


def install(conn: Connection) -> None:
    """Make the audit table refuse UPDATE, DELETE (and TRUNCATE) with an error."""
    for ddl in {"sqlite": SQLITE, "postgresql": POSTGRES}.get(conn.dialect.name, ()):
        conn.execute(text(ddl))  # text(): SQLAlchemy escapes the % for psycopg


def remove(conn: Connection) -> None:
    """Drop the guards (downgrading the baseline)."""
    for ddl in DROP.get(conn.dialect.name, ()):
        conn.execute(text(ddl))  # text(): SQLAlchemy escapes the % for psycopg
