"""``policykb backup`` and ``restore``: a consistent copy of an installation, taken while it runs.

A backup is one ``.tar.gz``:

- ``manifest.json``: format, when, from which database dialect and schema revision, and how many
  rows each table held (a restore checks every count against it);
- ``database/<table>.jsonl``: every table from one snapshot (kb.database.dump), so a copy taken
  while questions, publications and pushes go on is the database of one moment;
- ``secret.key``: the key that signs firm and unsubscribe links, so links already sent keep
  working after a restore (left out when the key comes from KB_SECRET_KEY);
- ``vectors/<model>.sqlite``: the computed passage vectors. The indexes themselves are derived and
  rebuilt by the restore, but embedding takes hours on a small machine, so their slow part travels;
- ``home/tuning.json``: the county's own fusion setting, when it has one.

The copy is logical, not a file or ``pg_dump`` image: one format for SQLite and PostgreSQL, which
either can restore (a county that outgrows one machine restores its SQLite backup into
PostgreSQL), and an older backup is loaded at its own revision, then migrated up.
"""

import json
import os
import secrets
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from sqlalchemy.engine import Engine

from kb import clock, plugins
from kb.config import Settings
from kb.database import dump, schema
from kb.database.db import make_engine, writer
from kb.errors import KBError
from kb.models import IndexChange, IndexState
from kb.search.dense import vector_cache

FORMAT = "policykb-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
HOME_FILES = ("tuning.json",)  # settings a county keeps in its data folder
BOOKKEEPING = frozenset({IndexState.__tablename__, IndexChange.__tablename__})

Say = Callable[[str], None]


class BackupError(KBError):
    """A backup that cannot be made or restored; the message says why and what to do."""


@dataclass
class Restored:
    """What a restore did, for its report."""

    revision: str
    migrated_to: str
    rows: int
    tables: int
    secret_key: str  # "restored"; "kept" (KB_SECRET_KEY is set here); "absent" (not in the backup)
    vectors: int
    notes: list[str] = field(default_factory=list)


# --- Backup -----------------------------------------------------------------------------------


def backup(settings: Settings, target: Path) -> dict:
    """Write a backup of the installation ``settings`` name to ``target``; returns its manifest.

    The file appears whole or not at all (written beside it, then renamed)."""
    engine = make_engine(settings.db_url)
    try:
        revision = schema.current(engine)
        if revision is None:
            raise BackupError(f"{_where(engine)} 没有政策通数据库，无可备份")
        target.parent.mkdir(parents=True, exist_ok=True)
        with _scratch(target.parent) as work:
            counts = _dump_database(engine, work / "database")
            manifest = {
                "format": FORMAT, "format_version": FORMAT_VERSION,
                "created_at": clock.now().isoformat(), "policykb": _version(),
                "dialect": engine.dialect.name, "revision": revision,
                "tables": counts, "rows": sum(counts.values()),
                "secret_key": _copy_key(settings, work),
                "vectors": _copy_vectors(settings, work / "vectors"),
                "home": _copy_home(settings, work / "home"),
            }
            (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1),
                                         encoding="utf-8")
            partial = work.with_suffix(".tar.gz")
            with tarfile.open(partial, "w:gz") as tar:
                tar.add(work / MANIFEST, arcname=MANIFEST)  # first: read without unpacking
                for part in sorted(work.iterdir()):
                    if part.name != MANIFEST:
                        tar.add(part, arcname=part.name)
            os.replace(partial, target)
        return manifest
    finally:
        engine.dispose()


def _dump_database(engine: Engine, folder: Path) -> dict[str, int]:
    folder.mkdir()
    counts = {}
    with dump.snapshot(engine) as conn:
        for table in dump.tables(conn):
            with (folder / f"{table.name}.jsonl").open("w", encoding="utf-8") as out:
                counts[table.name] = dump.write_table(conn, table, out)
    return counts


def _copy_key(settings: Settings, work: Path) -> str:
    if settings.secret_key:
        return "environment"  # KB_SECRET_KEY: the operator keeps it, not the backup
    key = settings.signing_key()  # made now if this installation never signed a link
    path = work / "secret.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return "file"


def _copy_vectors(settings: Settings, folder: Path) -> dict[str, int]:
    found = vector_cache.cache_files(settings.vector_cache_dir)
    if found:
        folder.mkdir()
    return {path.name: vector_cache.copy_file(path, folder / path.name) for path in found}


def _copy_home(settings: Settings, folder: Path) -> list[str]:
    copied = []
    for name in HOME_FILES:
        if (settings.home / name).is_file():
            folder.mkdir(exist_ok=True)
            shutil.copy2(settings.home / name, folder / name)
            copied.append(name)
    return copied


# --- Restore ----------------------------------------------------------------------------------


def read_manifest(source: Path) -> dict:
    """The manifest of backup ``source``, checked to be one this version can restore."""
    try:
        with tarfile.open(source, "r:*") as tar:
            member = tar.extractfile(MANIFEST)
            manifest = json.loads(member.read()) if member else None
    except FileNotFoundError:
        raise BackupError(f"没有备份文件 {source}") from None
    except (tarfile.TarError, KeyError, ValueError, OSError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{source} 不是政策通的备份文件（或已损坏）")
    if manifest.get("format_version", 0) > FORMAT_VERSION:
        raise BackupError(f"{source} 由更新的政策通（{manifest.get('policykb')}）写出："
                          "请用那个版本恢复")
    if not schema.known(str(manifest.get("revision"))):
        raise BackupError(f"{source} 的数据库版本为 {manifest.get('revision')}，本程序不认识"
                          f"（本程序最高到 {schema.head()}）：请用写出它的版本"
                          f"（{manifest.get('policykb')}）恢复")
    return manifest


def holdings(engine: Engine) -> dict[str, int]:
    """Tables holding the county's data, with their rows (empty: nothing a restore would lose).
    Bookkeeping and the rows every installation starts with (``policykb.seeds``) do not count."""
    starting = {name for module in plugins.load("seeds") for name in getattr(module, "TABLES", ())}
    with engine.connect() as conn:
        found = {t.name: dump.count_rows(conn, t) for t in dump.tables(conn)
                 if t.name not in BOOKKEEPING | starting}
    return {name: n for name, n in found.items() if n}


def restore(settings: Settings, source: Path, *, force: bool = False,
            say: Say = lambda _line: None) -> Restored:
    """Put backup ``source`` in place of the (empty, or with ``force`` any) installation that
    ``settings`` name: the database at the backup's revision then migrated up, the signing key,
    the vectors; then the search indexes are rebuilt from it."""
    manifest = read_manifest(source)
    settings.ensure_dirs()
    engine = make_engine(settings.db_url)
    try:
        held = holdings(engine)
        if held and not force:
            top = ", ".join(f"{name} {n}" for name, n in sorted(held.items(), key=lambda x: -x[1])[:4])
            raise BackupError(
                f"{_where(engine)} 的数据库中已有数据（{top}…），恢复不会覆盖它；"
                "请先备份，再加 --force 恢复")
        with _scratch(settings.home) as work:
            _unpack(source, work)
            revision = manifest["revision"]
            if _has_tables(engine):
                say("正在清空数据库")
                schema.clear(engine)
            schema.upgrade(engine, revision)
            say(f"正在按版本 {revision} 载入 {manifest['rows']:,} 行")
            loaded = _load(engine, work / "database", manifest)
            schema.upgrade(engine)
            result = Restored(revision=revision, migrated_to=schema.head(), rows=sum(loaded.values()),
                              tables=len(loaded), secret_key=_restore_key(settings, work, manifest),
                              vectors=_restore_vectors(settings, work / "vectors"))
            for name in manifest.get("home", []):
                shutil.copy2(work / "home" / name, settings.home / name)
        _drop_indexes(settings)
        return result
    finally:
        engine.dispose()


def _has_tables(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(dump.tables(conn))


def _load(engine: Engine, folder: Path, manifest: dict) -> dict[str, int]:
    expected: dict[str, int] = manifest["tables"]
    sources = {name: folder / f"{name}.jsonl" for name in expected}
    absent = [name for name, path in sources.items() if not path.is_file()]
    if absent:
        raise BackupError(f"备份中缺少表 {'、'.join(absent)} 的数据：备份已损坏")
    with writer(engine).connect() as conn, conn.begin():  # all rows or none
        loaded = dump.load(conn, sources)
        wrong = {name: (n, loaded.get(name)) for name, n in expected.items()
                 if loaded.get(name) != n}
        if wrong:
            raise BackupError("行数与备份清单不符（表：清单行数，读到行数）："
                              + "；".join(f"{k}：{a}，{b}" for k, (a, b) in wrong.items()))
    return loaded


def _restore_key(settings: Settings, work: Path, manifest: dict) -> str:
    if manifest.get("secret_key") != "file":
        return "absent"
    if settings.secret_key:
        return "kept"
    path = settings.home / "secret.key"
    tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write((work / "secret.key").read_bytes())
    tmp.replace(path)
    return "restored"


def _restore_vectors(settings: Settings, folder: Path) -> int:
    added = 0
    for path in vector_cache.cache_files(folder):
        added += vector_cache.merge_file(path, settings.vector_cache_dir / path.name)
    return added


def _drop_indexes(settings: Settings) -> None:
    """Remove the derived indexes (they describe the database that was there before); the vector
    cache stays, as a vector depends only on its text."""
    keep = settings.vector_cache_dir.resolve()

    def clear(folder: Path) -> None:
        for part in folder.iterdir():
            here = part.resolve()
            if here == keep:
                continue
            if part.is_dir() and keep.is_relative_to(here):
                clear(part)
            else:
                _remove(part)

    if settings.index_dir.is_dir():
        clear(settings.index_dir)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _unpack(source: Path, work: Path) -> None:
    try:
        with tarfile.open(source, "r:*") as tar:
            tar.extractall(work, filter="data")  # no paths outside work, no devices or links out
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"无法读取 {source}：{exc}") from None


# --- Shared -----------------------------------------------------------------------------------


@contextmanager
def _scratch(near: Path) -> Iterator[Path]:
    """A private folder beside ``near`` (same disk, so the final rename is atomic), removed after."""
    near.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=".policykb-backup-", dir=near))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        folder.with_suffix(".tar.gz").unlink(missing_ok=True)


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _version() -> str:
    try:
        return version("policykb")
    except PackageNotFoundError:
        return "unknown"
