"""Databases made by ``create_all`` before migrations: the in-place fixes earlier versions made.

Run once, inside the adopting transaction, before such a database is compared with the baseline and
stamped (kb.schema._adopt); valid while the head revision is the baseline, whose tables are the
models'. A difference these cannot fix is reported to the operator, never guessed at.
"""

from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from kb.migrations import audit_guards


def bring_forward(conn: Connection) -> None:
    """Create missing tables, add optional columns, keep passage ids unique, guard the audit log."""
    from kb.schema import models_metadata

    metadata = models_metadata()
    metadata.create_all(conn, checkfirst=True)  # tables a later version added
    _add_optional_columns(conn, metadata)
    _add_plain_indexes(conn, metadata)
    _passage_ids_never_reused(conn, metadata)
    audit_guards.install(conn)


def _add_optional_columns(conn: Connection, metadata) -> None:  # noqa: ANN001
    found = inspect(conn)
    for table in metadata.sorted_tables:
        have = {c["name"] for c in found.get_columns(table.name)}
        for column in table.columns:
            if (column.name in have or not column.nullable or column.primary_key
                    or column.foreign_keys or column.unique):
                continue
            kind = column.type.compile(dialect=conn.dialect)
            conn.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}')


def _add_plain_indexes(conn: Connection, metadata) -> None:  # noqa: ANN001
    # A non-unique index changes no data; a missing UNIQUE one is reported (rows may clash).
    found = inspect(conn)
    for table in metadata.sorted_tables:
        have = {i["name"] for i in found.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in have and not index.unique:
                index.create(conn)


def _passage_ids_never_reused(conn: Connection, metadata) -> None:  # noqa: ANN001
    """Give a SQLite passage table made before AUTOINCREMENT the keyword (ids must not be reused)."""
    if conn.dialect.name != "sqlite":
        return
    table = metadata.tables["passage"]
    ddl = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type='table' AND name='passage'").scalar() or ""
    if "AUTOINCREMENT" in ddl.upper():
        return
    for row in conn.exec_driver_sql("PRAGMA index_list('passage')").all():
        if not row[1].startswith("sqlite_autoindex"):
            conn.exec_driver_sql(f'DROP INDEX "{row[1]}"')
    conn.exec_driver_sql("ALTER TABLE passage RENAME TO passage_old")
    table.create(conn)
    cols = ", ".join(f'"{c.name}"' for c in table.columns)
    conn.exec_driver_sql(f"INSERT INTO passage ({cols}) SELECT {cols} FROM passage_old")
    conn.exec_driver_sql("DROP TABLE passage_old")
