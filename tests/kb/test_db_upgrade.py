"""Databases made by create_all before migrations are brought forward and stamped where that is safe."""

import sqlite3

import pytest
from sqlalchemy import Table
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlmodel import Session, select

from kb.database import schema
from kb.database.db import create_schema, make_engine
from kb.database.schema import SchemaError
from kb.models import Passage, Policy
from tests.utils.builders import load_demo
from tests.utils.databases import on_postgres

# These edit the SQLite file behind the engine's back, as an older version would have left it.
sqlite_file = pytest.mark.skipif(on_postgres(), reason="edits a SQLite database file directly")


def _strip(path, sql_edit) -> None:
    """Make the file look as an earlier version left it: no revision table, and ``sql_edit``."""
    con = sqlite3.connect(path)
    con.execute("DROP TABLE alembic_version")
    baseline = schema.baseline_metadata().tables
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
        if name.startswith("sqlite_"):
            continue
        if name not in baseline:
            con.execute(f'DROP TABLE "{name}"')  # added by a revision after the baseline
            continue
        columns = {row[1]: row[2] for row in con.execute(f'PRAGMA table_info("{name}")')}
        later = [c for c in columns if c not in baseline[name].columns]  # added by a later revision
        if name == "revision":  # kinds were stored as enum names until 0008
            con.execute("UPDATE revision SET kind = upper(kind)")
        if any(str(c.type.compile(dialect=sqlite_dialect())) != columns.get(c.name)
               for c in baseline[name].columns):  # a later revision changed a column's type
            _rebuild(con, baseline[name])
            continue
        try:
            for column in later:
                con.execute(f'ALTER TABLE "{name}" DROP COLUMN "{column}"')
        except sqlite3.OperationalError:  # a CHECK names the column: rebuild the table instead
            _rebuild(con, baseline[name])
    sql_edit(con)
    con.commit()
    con.close()


def _rebuild(con: sqlite3.Connection, table: Table) -> None:
    """Remake ``table`` as the baseline defines it, keeping its rows' baseline columns."""
    from sqlalchemy.dialects import sqlite as dialect
    from sqlalchemy.schema import CreateIndex, CreateTable

    columns = ", ".join(f'"{c}"' for c in table.columns.keys())
    con.execute("PRAGMA legacy_alter_table=ON")  # keep other tables' references on the name
    con.execute(f'ALTER TABLE "{table.name}" RENAME TO "_old_{table.name}"')
    for (index,) in con.execute("SELECT name FROM sqlite_master WHERE type='index' AND "
                                "tbl_name=? AND sql IS NOT NULL", (f"_old_{table.name}",)).fetchall():
        con.execute(f'DROP INDEX "{index}"')
    con.execute(str(CreateTable(table).compile(dialect=dialect.dialect())))
    for index in table.indexes:
        con.execute(str(CreateIndex(index).compile(dialect=dialect.dialect())))
    con.execute(f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} FROM "_old_{table.name}"')
    con.execute(f'DROP TABLE "_old_{table.name}"')


@sqlite_file
def test_passage_ids_are_not_reused_after_upgrade(settings):
    engine = make_engine(settings.db_url)
    create_schema(engine)
    load_demo(engine)
    engine.dispose()
    path = settings.home / "policykb.db"

    def old_table(con):  # the table as earlier versions made it: no AUTOINCREMENT
        ddl = con.execute("SELECT sql FROM sqlite_master WHERE name='passage'").fetchone()[0]
        con.execute("PRAGMA foreign_keys=OFF")
        con.execute("ALTER TABLE passage RENAME TO p_tmp")
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type='index' "
                                   "AND tbl_name='p_tmp' AND sql IS NOT NULL").fetchall():
            con.execute(f'DROP INDEX "{name}"')
        con.execute(ddl.replace("AUTOINCREMENT", ""))
        con.execute("INSERT INTO passage SELECT * FROM p_tmp")
        con.execute("DROP TABLE p_tmp")

    _strip(path, old_table)
    engine = make_engine(settings.db_url)
    with pytest.raises(SchemaError, match="policykb db upgrade"):
        create_schema(engine)  # adopted as the baseline, which is behind: the operator decides
    create_schema(engine, upgrade=True)
    with Session(engine) as session:
        top = max(session.exec(select(Passage.id)).all())
        count = len(session.exec(select(Passage.id)).all())
        policy = session.exec(select(Policy)).first()
        victim = session.exec(select(Passage).where(Passage.id == top)).one()
        session.delete(victim)
        session.commit()
        session.add(Passage(policy_id=policy.id, ordinal=9999, text="新条款"))
        session.commit()
        assert max(session.exec(select(Passage.id)).all()) == top + 1  # not ``top`` again
        assert len(session.exec(select(Passage.id)).all()) == count


@sqlite_file
def test_an_optional_column_added_later_is_added_in_place(settings):
    engine = make_engine(settings.db_url)
    create_schema(engine)
    load_demo(engine)
    engine.dispose()
    path = settings.home / "policykb.db"
    _strip(path, lambda con: (con.execute("DROP INDEX ix_questionlog_topic_id"),
                        con.execute("ALTER TABLE questionlog DROP COLUMN topic_id")))
    engine = make_engine(settings.db_url)
    create_schema(engine, upgrade=True)
    with Session(engine) as session:
        assert session.exec(select(Policy)).first() is not None
    cols = [r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(questionlog)")]
    assert "topic_id" in cols
    assert schema.current(engine) == schema.head() and schema.check(engine) == []


@sqlite_file
def test_an_old_database_that_differs_is_refused_with_a_message_and_left_alone(settings):
    engine = make_engine(settings.db_url)
    load_demo(engine)
    engine.dispose()
    path = settings.home / "policykb.db"
    _strip(path, lambda con: con.execute("DROP INDEX ix_firm_uscc"))  # lost a UNIQUE index
    engine = make_engine(settings.db_url)
    with pytest.raises(SchemaError, match="建于启用迁移之前，且与基线结构不同"):
        create_schema(engine, upgrade=True)
    assert schema.current(engine) is None  # nothing stamped, nothing half-done
    with Session(engine) as session:
        assert session.exec(select(Policy.id)).first() is not None


def test_policies_without_versions_get_a_first_one(demo_engine):
    from kb.database.db import session_scope
    from kb.library.versions import backfill
    from kb.models import PolicyVersion

    with session_scope(demo_engine) as session:
        for row in session.exec(select(PolicyVersion)).all():
            session.delete(row)  # as in a database from before versions were kept
    with session_scope(demo_engine) as session:
        assert backfill(session=session) == len(session.exec(select(Policy)).all())
        assert backfill(session=session) == 0
        first = session.exec(select(PolicyVersion)).first()
        assert first.snapshot["policy"]["title"] and first.summary == "启用版本管理时的已发布版本"
