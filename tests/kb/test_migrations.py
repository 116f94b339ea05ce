"""The migrations are the schema: they make exactly the models' tables, on SQLite and PostgreSQL,
and a database made at an earlier revision upgrades with its data intact."""

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import MetaData, func, inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from kb.cli.main import main
from kb.database import schema
from kb.database.db import create_schema, make_engine
from kb.database.schema import SchemaError
from kb.models import Passage, Policy
from tests.utils import databases
from tests.utils.builders import load_demo
from tests.utils.schemas import describe

SECOND = '''"""A test revision: a note on policies (recreates the table on SQLite)."""

import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = "{previous}"
branch_labels = None
depends_on = None


def _recreate() -> str:
    return "always" if op.get_bind().dialect.name == "sqlite" else "auto"


def upgrade() -> None:
    with op.batch_alter_table("policy", recreate=_recreate()) as batch:
        batch.add_column(sa.Column("note", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("policy", recreate=_recreate()) as batch:
        batch.drop_column("note")
'''


@pytest.fixture
def empty_url(tmp_path: Path) -> str:
    """A database with no tables at all: a new SQLite file, or a new PostgreSQL database."""
    if databases.on_postgres():
        url = databases.create_database(migrated=False)
        yield url
        databases.drop_database(url)
    else:
        yield f"sqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture
def two_revisions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The shipped revisions plus one more (9001), as the next release would ship them; returns
    the shipped head."""
    previous = schema.head()
    folder = tmp_path / "migrations"
    shutil.copytree(schema.MIGRATIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    text = SECOND.replace("{previous}", previous)
    (folder / "versions" / "9001_note.py").write_text(text, encoding="utf-8")
    monkeypatch.setattr(schema, "MIGRATIONS", folder)
    schema.head.cache_clear()
    yield previous
    schema.head.cache_clear()


def test_the_migrations_make_exactly_the_models_schema(empty_url):
    engine = make_engine(empty_url)
    create_schema(engine)
    assert schema.current(engine) == schema.head()
    with engine.connect() as conn:
        assert schema.differences(conn) == []  # alembic's autogenerate comparison, plus CHECKs
    assert schema.check(engine) == []
    checks = {c["name"] for c in inspect(engine).get_check_constraints("policy")}
    assert {"ck_policy_validity", "ck_policy_status", "ck_policy_level"} <= checks
    if engine.dialect.name == "postgresql":  # strings with a CHECK, never native enum types
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM pg_type WHERE typtype = 'e'")).scalar() == 0
    engine.dispose()


def test_a_value_out_of_an_enum_is_refused_by_the_database(engine):
    load_demo(engine)
    with pytest.raises(Exception, match="(?i)check"), engine.begin() as conn:
        conn.execute(text("UPDATE policy SET validity = 'MAYBE'"))


def test_a_forgotten_migration_is_named(engine):
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    with engine.begin() as conn:  # the database as a migration that forgot an index and a value
        ops = Operations(MigrationContext.configure(conn, opts={"render_as_batch": True}))
        ops.drop_index("ix_firm_region", table_name="firm")
        with ops.batch_alter_table("ledgertopic") as batch:
            batch.drop_constraint("ck_ledgertopic_status", type_="check")
            batch.create_check_constraint("ck_ledgertopic_status", "status IN ('OPEN')")
    problems = schema.check(engine)
    assert any("ix_firm_region" in p for p in problems), problems
    assert any("ck_ledgertopic_status" in p and "CLOSED" in p for p in problems), problems


def _rows_at_head(tmp_path: Path) -> Engine:
    """A scratch database at the head holding the demo, a firm with a push, and a guide draft
    and an FAQ draft (a revision of push's kind and one of kb's)."""
    from kb.database.db import insert_ignore, session_scope
    from kb.models import Revision
    from kb.staff.models import User
    from push.delivery.models import Push, PushKind, PushStatus
    from tests.push.conftest import add_firm

    scratch = make_engine(f"sqlite:///{tmp_path / 'scratch.db'}")
    create_schema(scratch, upgrade=True)
    load_demo(scratch)
    with session_scope(scratch) as session:
        firm = add_firm(session)
        policy = session.exec(select(Policy)).first()
        user = User(username="w", name="拟稿人", roles=["drafter"], password_hash="x")
        session.add(user)
        session.flush()
        insert_ignore(session, Push, [{
            "firm_id": firm.id, "channel": "inbox", "status": PushStatus.DELIVERED, "attempts": 1,
            "policy_id": policy.id, "version": 1, "kind": PushKind.NEW, "title": policy.title,
            "changes": [], "themes": [], "key": "k", "reasons": ["行业：制造业"]}])
        for kind in ("guide", "faq"):
            session.add(Revision(kind=kind, policy_id=policy.id, label=kind, drafter_id=user.id,
                                 data={"question": "问"} if kind == "faq" else {}))
    return scratch


def _copy_rows(source: Engine, target: Engine) -> dict[str, int]:
    """Every row of ``source`` whose table ``target`` has, with the columns it has, as its
    revision stored them; returns the rows copied per table."""
    found, held = MetaData(), MetaData()
    found.reflect(target)
    found.remove(found.tables[schema.VERSION_TABLE])
    held.reflect(source)  # typed columns: SQLite's dates come back as dates
    checks = {c["name"] for c in inspect(target).get_check_constraints("revision")}
    copied = {}
    with source.connect() as src, target.begin() as dst:
        # Foreign keys are checked at commit (a policy names its successor, a later row).
        dst.exec_driver_sql("SET session_replication_role = replica"
                            if target.dialect.name == "postgresql" else "PRAGMA defer_foreign_keys=ON")
        for table in found.sorted_tables:
            rows = [{k: v for k, v in r._mapping.items() if k in table.columns}
                    for r in src.execute(held.tables[table.name].select())]
            if table.name == "revision" and "ck_revision_kind" in checks:
                rows = [r | {"kind": r["kind"].upper()} for r in rows]  # enum names until 0008
            if rows:
                dst.execute(table.insert(), rows)
            if target.dialect.name == "postgresql" and "id" in table.columns and rows:
                # Rows came with their ids: move the sequence past them, as loading would have.
                name = f'"{table.name}"'  # quoted: "user" is a keyword
                dst.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                 f"(SELECT max(id) FROM {name}))"))
            copied[table.name] = len(rows)
        if target.dialect.name == "postgresql":
            dst.exec_driver_sql("SET session_replication_role = origin")
    return copied


def _baseline_rows(target: Engine, tmp_path: Path) -> None:
    """The demo's data in the baseline's tables: loaded by today's code into a scratch database
    at the head (today's ingestion writes tables later revisions add), then copied row by row."""
    scratch = make_engine(f"sqlite:///{tmp_path / 'scratch.db'}")
    create_schema(scratch, upgrade=True)
    load_demo(scratch)
    _copy_rows(scratch, target)
    scratch.dispose()


def test_a_database_at_the_baseline_upgrades_with_its_data(empty_url, two_revisions, tmp_path):
    engine = make_engine(empty_url)
    schema.upgrade(engine, schema.BASELINE)
    _baseline_rows(engine, tmp_path)  # data made at the baseline, then every later revision
    with pytest.raises(SchemaError, match=f"版本为 {schema.BASELINE}，本程序需要 9001"):
        create_schema(engine)  # behind: refused, not silently changed
    schema.upgrade(engine, two_revisions)
    load_demo(engine)
    with Session(engine) as session:
        policies = session.exec(select(func.count()).select_from(Policy)).one()
        passages = session.exec(select(func.count()).select_from(Passage)).one()
        titles = sorted(session.exec(select(Policy.title)).all())
    create_schema(engine, upgrade=True)
    assert schema.current(engine) == "9001"
    assert "note" in {c["name"] for c in inspect(engine).get_columns("policy")}
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Policy)).one() == policies
        assert session.exec(select(func.count()).select_from(Passage)).one() == passages
        assert sorted(session.exec(select(Policy.title)).all()) == titles
        joined = session.exec(select(func.count()).select_from(Passage).join(Policy)).one()
        assert joined == passages  # every passage still points at its policy
    schema.downgrade(engine, two_revisions)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Passage)).one() == passages
    engine.dispose()


def test_db_check_exits_0_after_init_and_1_with_a_message_when_behind(cli_env, two_revisions,
                                                                     capsys):
    assert main(["db", "upgrade", "--to", two_revisions]) == 0  # as the previous release made it
    assert main(["db", "check"]) == 1
    err = capsys.readouterr().err
    assert f"版本为 {two_revisions}，本程序需要 9001" in err
    assert "policykb db upgrade" in err
    assert main(["init"]) == 2  # refuses to start on a database that is behind
    assert "policykb db upgrade" in capsys.readouterr().err
    assert main(["init", "--upgrade"]) == 0
    capsys.readouterr()
    assert main(["db", "check"]) == 1  # at the head now, but the test revision is not in the models
    assert "数据模型与迁移脚本（版本 9001）不一致" in capsys.readouterr().err
    assert main(["db", "current"]) == 0
    assert "数据库版本：9001" in capsys.readouterr().out


def test_db_check_after_init(cli_env, capsys):
    assert main(["init"]) == 0
    assert main(["db", "check"]) == 0
    assert f"数据库版本 {schema.head()}，与数据模型一致" in capsys.readouterr().out


def test_a_database_from_a_newer_version_is_refused(engine):
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaError, match="由更新的版本建立"):
        create_schema(engine)


def test_pushes_that_named_an_amount_are_marked_when_told_amount_arrives(engine):
    """0006 reads the old text prefix once, so catch-up pushes keep knowing who was told."""
    from kb.database.db import insert_ignore, session_scope
    from push.delivery.models import Push, PushKind, PushStatus
    from push.matching.rules import MET_PREFIX
    from tests.push.conftest import add_firm, add_policy

    with session_scope(engine) as session:
        firm, policy = add_firm(session), add_policy(session)
        base = {"firm_id": firm.id, "channel": "inbox", "status": PushStatus.DELIVERED,
                "attempts": 1, "policy_id": policy.id, "version": 1, "kind": PushKind.NEW,
                "title": policy.title, "changes": [], "themes": []}
        insert_ignore(session, Push, [
            base | {"key": "told", "reasons": ["行业：制造业", f"{MET_PREFIX}“设备补助”条件，预计可享 8万元"]},
            base | {"key": "untold", "version": 2, "reasons": ["行业：制造业"]}])
    schema.downgrade(engine, "0005")  # as the previous release left it: reasons only
    schema.upgrade(engine)
    with Session(engine) as session:
        told = dict(session.exec(select(Push.key, Push.told_amount)).all())
    assert told == {"told": True, "untold": False}


RECORDED = Path(__file__).parent / "data" / "recorded_schemas.json"


@pytest.mark.parametrize("revision", ["0004", "0007"])
def test_each_old_revision_makes_the_schema_it_made_before_the_revisions_moved(empty_url,
                                                                               revision):
    """The revisions now live with the package owning their tables (push's in push/migrations),
    split and ordered so that every revision id an earlier release stamped means the same schema:
    0004 was c369141's head, 0007 the last before the move (tests/utils/schemas.py recorded them)."""
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))[revision]
    engine = make_engine(empty_url)
    schema.upgrade(engine, revision)
    assert describe(engine) == recorded
    engine.dispose()


def test_a_database_at_c369141s_revision_upgrades_to_the_new_layout_with_its_data(empty_url,
                                                                                   tmp_path):
    from kb.models import Revision
    from push.delivery.models import Push
    from push.firms.models import Firm

    engine = make_engine(empty_url)
    schema.upgrade(engine, "0004")  # c369141's head, before push's revisions moved to push
    scratch = _rows_at_head(tmp_path)
    copied = _copy_rows(scratch, engine)
    scratch.dispose()
    assert copied["policy"] and copied["firm"] == copied["push"] == 1 and copied["revision"] == 2
    with pytest.raises(SchemaError, match="版本为 0004，本程序需要"):
        create_schema(engine)  # behind: refused until the operator upgrades
    create_schema(engine, upgrade=True)
    assert schema.current(engine) == schema.head() and schema.check(engine) == []
    with engine.connect() as conn:
        for table, count in copied.items():
            assert conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar() == count, table
    with Session(engine) as session:
        assert sorted(session.exec(select(Revision.kind)).all()) == ["faq", "guide"]
        assert session.exec(select(Firm.name)).one() == "企业0"
        assert session.exec(select(Push.told_amount)).one() is False  # 0006 ran on old rows
    engine.dispose()


def test_a_new_revision_goes_to_its_packages_folder_with_the_next_number(cli_env, tmp_path,
                                                                         monkeypatch, capsys):
    folders = {}
    for name, path in schema.version_locations().items():
        folders[name] = tmp_path / name
        shutil.copytree(path, folders[name], ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(schema, "version_locations", lambda: folders)
    schema.head.cache_clear()
    try:
        assert main(["db", "revision", "-m", "a push change", "--package", "push"]) == 0
        written = sorted(p.name for p in folders["push"].glob("*.py")
                         if p.name not in {q.name for q in schema.MIGRATIONS.glob("versions/*")})
        assert written[-1].startswith(f"{int(schema.next_revision_id()) - 1:04d}_a_push_change")
        assert "请核对" in capsys.readouterr().out
        assert main(["db", "revision", "-m", "x", "--package", "web"]) == 2
        assert "包“web”没有迁移脚本；可选：kb、push" in capsys.readouterr().err
    finally:
        schema.head.cache_clear()
