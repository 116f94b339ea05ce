"""Databases made by ``create_all`` before migrations: the in-place fixes earlier versions made.

Run once, inside the adopting transaction (foreign keys deferred), before such a SQLite database is
compared with the baseline revision's tables and stamped (kb.database.schema._adopt). A difference
these cannot fix is reported to the operator, never guessed at.
"""

from sqlalchemy import CheckConstraint, MetaData, inspect
from sqlalchemy.engine import Connection

from kb.database.migrations import audit_guards


def bring_forward(conn: Connection, metadata: MetaData) -> None:
    """Create missing tables, add optional columns and plain indexes, keep passage ids unique, add
    the enum CHECKs create_all never made, guard the audit log (``metadata``: the baseline's)."""
    metadata.create_all(conn, checkfirst=True)  # tables a later version added
    _add_optional_columns(conn, metadata)
    _add_plain_indexes(conn, metadata)
    _passage_ids_never_reused(conn, metadata)
    _add_checks(conn, metadata)
    audit_guards.install(conn)


def _add_checks(conn: Connection, metadata: MetaData) -> None:
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    ops = Operations(MigrationContext.configure(conn))
    found = inspect(conn)
    for table in metadata.sorted_tables:
        columns = {c["name"] for c in found.get_columns(table.name)}
        if any(c.name not in columns for c in table.columns):
            continue  # a column is missing: reported by the comparison, not rebuilt around
        have = {c["name"] for c in found.get_check_constraints(table.name)}
        wanted = [(c.name, str(c.sqltext)) for c in table.constraints
                  if isinstance(c, CheckConstraint) and isinstance(c.name, str) and c.name
                  and c.name not in have]
        if wanted:  # SQLite adds a CHECK only by rebuilding the table (rows copied, checked)
            with ops.batch_alter_table(table.name, recreate="always") as batch:
                for name, condition in wanted:
                    batch.create_check_constraint(name, condition)


def _add_optional_columns(conn: Connection, metadata: MetaData) -> None:
    found = inspect(conn)
    for table in metadata.sorted_tables:
        have = {c["name"] for c in found.get_columns(table.name)}
        for column in table.columns:
            if (column.name in have or not column.nullable or column.primary_key
                    or column.foreign_keys or column.unique):
                continue
            kind = column.type.compile(dialect=conn.dialect)
            conn.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}')


def _add_plain_indexes(conn: Connection, metadata: MetaData) -> None:
    # A non-unique index changes no data; a missing UNIQUE one is reported (rows may clash).
    found = inspect(conn)
    for table in metadata.sorted_tables:
        have = {i["name"] for i in found.get_indexes(table.name)}
        columns = {c["name"] for c in found.get_columns(table.name)}
        for index in table.indexes:
            if (index.name not in have and not index.unique
                    and all(c.name in columns for c in index.columns)):
                index.create(conn)


def _passage_ids_never_reused(conn: Connection, metadata: MetaData) -> None:
    """Give a SQLite passage table made before AUTOINCREMENT the keyword (ids must not be reused)."""
    if conn.dialect.name != "sqlite":
        return
    table = metadata.tables["passage"]  # reflected: carries no AUTOINCREMENT, so say it
    table.kwargs["sqlite_autoincrement"] = True
    table.dialect_kwargs["sqlite_autoincrement"] = True
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
