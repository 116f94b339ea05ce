"""The schema, made and changed only by the alembic revisions in ``kb/database/migrations``.

Every process that opens a database passes ``prepare``: an empty database is brought to the head
revision, one at the head is used as it is, and one that is behind (or from a newer PolicyKB, or
made before migrations and different from the baseline) is refused with a message saying what to
do. Migrating happens in one transaction under a lock (``BEGIN IMMEDIATE`` on SQLite, an advisory
lock on PostgreSQL), so workers starting together migrate once and the others find the head.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Enum,
    Integer,
    MetaData,
    String,
    Table,
    inspect,
    text,
    type_coerce,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import SQLModel

from kb.errors import KBError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.runtime.environment import NameFilterParentNames, NameFilterType
    from alembic.runtime.migration import MigrationContext

MIGRATIONS = Path(__file__).parent / "migrations"
# The schema when migrations began (kb's 0001 and push's 0001a): databases made before migrations
# are compared with it and stamped there.
BASELINE = "0001a"
VERSION_TABLE = "alembic_version"
LOCK_KEY = 4754_2017  # the PostgreSQL advisory lock held while migrating (any fixed number)


class SchemaError(KBError):
    """The database's schema is not the one this code needs; the message says what to do."""


# --- The models' schema -----------------------------------------------------------------


def enum_constraint_name(table: str, column: str) -> str:
    """The CHECK constraint that keeps an enum column to its values."""
    return f"ck_{table}_{column}"


def models_metadata() -> MetaData:
    """Every table of every ``policykb.tables`` module, enums stored as checked strings."""
    from kb import plugins

    plugins.load("tables")
    metadata = SQLModel.metadata
    for table in metadata.tables.values():
        for column in table.columns:
            kind = column.type
            if isinstance(kind, Enum) and kind.native_enum:
                _string_enum(table, column, kind)
    return metadata


def _string_enum(table: Table, column: Column[Any], kind: Enum) -> None:
    """Store ``column``'s enum as a string with a CHECK, never a native type that needs its own
    migration for every new value (SQLModel makes native enums; this runs once for all models)."""
    kind.native_enum = False
    kind.create_constraint = False  # the one CHECK is added here, with a name migrations can drop
    kind.name = None
    table.append_constraint(CheckConstraint(
        type_coerce(column, String()).in_(kind.enums),
        name=enum_constraint_name(table.name, column.name)))


def configure_options() -> dict[str, Any]:
    """How alembic compares and renders against the models (env.py and ``differences`` agree)."""
    return {"target_metadata": models_metadata(), "render_as_batch": True,  # SQLite's ALTER
            "compare_type": _compare_type, "version_table": VERSION_TABLE,
            "include_name": _include_name}


def _compare_type(context: MigrationContext, _inspected_column: Column[Any],
                  _metadata_column: Column[Any], inspected: TypeEngine[Any],
                  metadata: TypeEngine[Any]) -> bool | None:
    # SQLite stores every integer as up to 64 bits: INTEGER and BIGINT are one type there (a
    # database made before migrations has INTEGER where the baseline says BIGINT).
    if (context.dialect.name == "sqlite" and isinstance(inspected, Integer)
            and isinstance(metadata, Integer)):
        return False
    if isinstance(metadata, TypeDecorator):
        # A decorated type (UTCDateTime) is stored as its impl: compare that, not the wrapper.
        return False if isinstance(inspected, type(metadata.impl)) else None
    return None  # alembic's own comparison


def _include_name(name: str | None, kind: NameFilterType, _parent: NameFilterParentNames) -> bool:
    # SQLite's own bookkeeping is not part of the schema.
    return not (kind == "table" and name is not None and name.startswith("sqlite_"))


# --- Revisions ---------------------------------------------------------------------------


def version_locations() -> dict[str, Path]:
    """Each package's folder of revisions: kb's, then every ``policykb.migrations`` module's."""
    from kb import plugins

    found = {"kb": MIGRATIONS / "versions"}
    for name, module in plugins.named("migrations"):
        found[name] = Path(module.VERSIONS)
    return found


def config(connection: Connection | None = None) -> Config:
    """An alembic configuration over the shipped revisions (no alembic.ini): one history whose
    revisions live with the package that owns their tables."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations",
                        os.pathsep.join(str(p) for p in version_locations().values()))
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@cache
def head() -> str:
    """The revision this code needs."""
    from alembic.script import ScriptDirectory

    found = ScriptDirectory.from_config(config()).get_current_head()
    if found is None:
        raise SchemaError(f"{MIGRATIONS} 中没有迁移脚本：安装不完整，请重新安装")
    return found


def _known() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(config()).walk_revisions()}


def next_revision_id() -> str:
    """The number after the highest revision's (``0008`` after ``0007`` and ``0006a``)."""
    numbers = [int(m.group()) for r in _known() if (m := re.match(r"\d+", r))]
    return f"{max(numbers, default=0) + 1:04d}"


def known(revision: str) -> bool:
    """Whether ``revision`` is one of this code's (an unknown one was made by a newer version)."""
    return revision in _known()


def current(engine: Engine) -> str | None:
    """The revision the database is at (None: not made by migrations)."""
    with engine.connect() as conn:
        return _current(conn)


def _current(conn: Connection) -> str | None:
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def _tables(conn: Connection) -> set[str]:
    return {t for t in inspect(conn).get_table_names() if not t.startswith("sqlite_")}


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


# --- Start-up gate and upgrade -----------------------------------------------------------


def prepare(engine: Engine, *, upgrade: bool = False) -> None:
    """Make an empty database, accept one at the head; refuse (or with ``upgrade``, upgrade)
    one that is behind; refuse one this code does not know."""
    from kb.database.db import writer

    models_metadata()
    with writer(engine).connect() as conn:
        at = _current(conn)
        conn.rollback()
    if at == head():
        return
    _migrate(engine, allow_behind=upgrade)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (under the migration lock)."""
    _migrate(engine, allow_behind=True, target=revision)


def _migrate(engine: Engine, *, allow_behind: bool, target: str = "head") -> None:
    from alembic import command

    from kb.database.db import writer

    with writer(engine).connect() as conn, _foreign_keys_deferred(conn), conn.begin():
        _lock(conn)  # whoever waited here finds the work done
        at = _current(conn)
        if at is None and _tables(conn):
            at = _adopt(conn, engine)
        if at is not None and at not in _known():
            raise SchemaError(
                f"{_where(engine)} 的数据库版本为 {at}，本程序不认识（本程序需要 {head()}）："
                "它由更新的版本建立，请用那个版本运行")
        if at == (head() if target == "head" else target):
            return
        if at is not None and not allow_behind:
            raise SchemaError(behind_message(engine, at))
        command.upgrade(config(conn), target)
        _foreign_keys_hold(conn)


def _foreign_keys_hold(conn: Connection) -> None:
    if conn.dialect.name == "sqlite" and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
        raise SchemaError("迁移后有记录引用了不存在的数据，迁移已撤销，数据库未作改动")


@contextmanager
def _foreign_keys_deferred(conn: Connection) -> Iterator[None]:
    """SQLite: foreign keys off while migrating (a batch migration recreates a table, and dropping
    the old one must not cascade to the rows that refer to it), checked before commit, then on."""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.dbapi_connection  # autocommit: the PRAGMA runs outside a transaction
    if raw is None:  # only an invalidated connection has none
        raise SchemaError("迁移前与数据库的连接已断开")
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _lock(conn: Connection) -> None:
    # SQLite's BEGIN IMMEDIATE already serialises writers; PostgreSQL needs a lock of its own
    # (CREATE TABLE takes no lock another migrator's CREATE TABLE would wait for).
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})


def behind_message(engine: Engine, at: str) -> str:
    """What the operator reads when the database is older than the code."""
    return (f"{_where(engine)} 的数据库版本为 {at}，本程序需要 {head()}：请先备份，"
            "再运行 `policykb db upgrade`（或启动时加 --upgrade）")


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database back to ``revision`` (tests and operators undoing a release)."""
    from alembic import command

    from kb.database.db import writer

    with writer(engine).connect() as conn, _foreign_keys_deferred(conn), conn.begin():
        _lock(conn)
        command.downgrade(config(conn), revision)


def clear(engine: Engine) -> None:
    """Drop every table (a restore with --force starts from an empty database)."""
    from kb.database.db import writer

    with writer(engine).connect() as conn, _foreign_keys_deferred(conn), conn.begin():
        _lock(conn)
        found = MetaData()
        found.reflect(conn)
        found.drop_all(conn)


# --- Databases made before migrations ---------------------------------------------------


def _adopt(conn: Connection, engine: Engine) -> str:
    """Stamp a database made by ``create_all`` before migrations when, after the in-place fixes
    earlier versions made, it is the baseline schema; otherwise say what differs."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from kb.database import legacy

    if conn.dialect.name != "sqlite":
        raise SchemaError(
            f"{_where(engine)} 的数据库建于启用迁移之前（PostgreSQL 原生枚举类型）：请用 "
            "`policykb db upgrade` 新建数据库，再把数据复制过去（见 docs/operators.md 中 "
            "Deployment on PostgreSQL 一节）")
    target = baseline_metadata()
    legacy.bring_forward(conn, target)
    options = configure_options() | {"target_metadata": target}
    found = [_describe(d) for d in compare_metadata(MigrationContext.configure(conn, opts=options),
                                                     target)]
    if found:
        raise SchemaError(
            f"{_where(engine)} 的数据库建于启用迁移之前，且与基线结构不同（{'；'.join(found[:5])}）："
            "请把 KB_HOME（或 KB_DATABASE_URL）指向新位置，重新载入数据")
    command.stamp(config(conn), BASELINE)
    return BASELINE


@cache
def baseline_metadata() -> MetaData:
    """The baseline revision's tables as SQLite holds them (a scratch database, reflected)."""
    import shutil
    import tempfile

    from kb.database.db import make_engine

    folder = tempfile.mkdtemp(prefix="policykb-baseline-")
    scratch = make_engine(f"sqlite:///{folder}/baseline.db")
    try:
        upgrade(scratch, BASELINE)
        found = MetaData()
        found.reflect(scratch)
        found.remove(found.tables[VERSION_TABLE])
        return found
    finally:
        scratch.dispose()
        shutil.rmtree(folder, ignore_errors=True)


# --- Comparison with the models ---------------------------------------------------------


def differences(conn: Connection) -> list[str]:
    """How the database's schema differs from the models (empty: they agree)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    context = MigrationContext.configure(conn, opts=configure_options())
    found = [_describe(diff) for diff in compare_metadata(context, models_metadata())]
    return found + _enum_value_differences(conn)


def _describe(diff: tuple[Any, ...] | list[tuple[Any, ...]]) -> str:
    if isinstance(diff, list):  # column changes come as a list of modifications
        return ", ".join(_describe(d) for d in diff)
    kind, *rest = diff
    names = [getattr(r, "name", None) or str(r) for r in rest if r is not None][:3]
    return f"{kind} {' '.join(str(n) for n in names)}"


_QUOTED = re.compile(r"'((?:[^']|'')*)'")


def _enum_value_differences(conn: Connection) -> list[str]:
    """Enum values added to (or dropped from) a model but not to its CHECK (autogenerate does not
    compare CHECK constraints)."""
    found = inspect(conn)
    tables = set(found.get_table_names())
    out = []
    for table in models_metadata().tables.values():
        if table.name not in tables:
            continue
        checks = {c["name"]: c["sqltext"] for c in found.get_check_constraints(table.name)}
        for column in table.columns:
            if not isinstance(column.type, Enum):
                continue
            name = enum_constraint_name(table.name, column.name)
            values = set(_QUOTED.findall(checks.get(name, "")))
            if values != set(column.type.enums):
                out.append(f"check {name} allows {sorted(values)}, the model "
                           f"{sorted(column.type.enums)}")
    return out


def check(engine: Engine) -> list[str]:
    """Problems that make the database unfit for this code (empty: at the head, as the models)."""
    with engine.connect() as conn:
        at = _current(conn)
        if at is None:
            made = "是空库" if not _tables(conn) else "建于启用迁移之前"
            return [f"{_where(engine)} 的数据库{made}：请运行 `policykb db upgrade`"]
        if at != head():
            if at not in _known():
                return [f"{_where(engine)} 的数据库版本为 {at}，本程序不认识（本程序需要 {head()}）"]
            return [behind_message(engine, at)]
        found = differences(conn)
    return [f"数据模型与迁移脚本（版本 {head()}）不一致（是否忘了运行 `policykb db revision`？）：{d}"
            for d in found]
