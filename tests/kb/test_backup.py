"""Backup and restore of a knowledge base: every row back, at the head, on SQLite and PostgreSQL."""

import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from kb.cli.main import main
from kb.config import Settings
from kb.database import dump, schema
from kb.database.db import make_engine, read_scope
from kb.models import Audience, Policy
from kb.operations import backup
from kb.search.dense.vector_cache import VectorCache, text_key
from tests.utils import databases
from tests.utils.builders import ingest, load_demo, write_jsonl


def test_restore_gives_back_every_row_and_the_key(demo_engine, settings: Settings, restore_target: Settings,
                                                  tmp_path: Path) -> None:
    key = settings.signing_key()
    manifest = backup.backup(settings, tmp_path / "kb.tar.gz")
    assert manifest["revision"] == schema.head()
    assert manifest["tables"]["policy"] > 0 and manifest["secret_key"] == "file"

    done = backup.restore(restore_target, tmp_path / "kb.tar.gz")

    assert done.rows == manifest["rows"] and done.secret_key == "restored"
    assert databases.tables_as_text(restore_target) == databases.tables_as_text(settings)
    assert restore_target.signing_key() == key  # links already sent still verify
    restored = make_engine(restore_target.db_url)
    with read_scope(restored) as session:  # the old policy points at its successor, loaded later
        old = session.exec(select(Policy).where(Policy.superseded_by_id.is_not(None))).first()
        assert old is not None and old.superseded_by_id > old.id
    restored.dispose()


def test_restored_database_takes_new_rows(demo_engine, settings: Settings, restore_target: Settings,
                                          tmp_path: Path) -> None:
    """Keys continue after the restored ones (PostgreSQL's sequences are set, not left at 1)."""
    backup.backup(settings, tmp_path / "kb.tar.gz")
    backup.restore(restore_target, tmp_path / "kb.tar.gz")
    engine = make_engine(restore_target.db_url)
    report = ingest(engine, write_jsonl(tmp_path / "new.jsonl", [{
        "id": "new", "title": "金湖县新政策", "doc_number": "金政发〔2026〕1号",
        "text": "一、新设补贴\n每户一万元。", "faq": [{"question": "补多少？", "answer": "一万元。"}]}]))
    assert report.created
    engine.dispose()


def test_restore_refuses_a_database_holding_data(demo_engine, settings: Settings, tmp_path: Path,
                                                 restore_target: Settings) -> None:
    backup.backup(settings, tmp_path / "kb.tar.gz")
    backup.restore(restore_target, tmp_path / "kb.tar.gz")
    before = databases.tables_as_text(restore_target)

    with pytest.raises(backup.BackupError, match="已有数据.*--force"):
        backup.restore(restore_target, tmp_path / "kb.tar.gz")
    assert databases.tables_as_text(restore_target) == before  # nothing lost

    backup.restore(restore_target, tmp_path / "kb.tar.gz", force=True)
    assert databases.tables_as_text(restore_target) == before


def test_an_older_backup_is_migrated_up(demo_engine, settings: Settings, restore_target: Settings,
                                        tmp_path: Path) -> None:
    schema.downgrade(demo_engine, "0004")  # as a backup made before revisions 0005 and 0006
    manifest = backup.backup(settings, tmp_path / "old.tar.gz")
    assert manifest["revision"] == "0004"

    done = backup.restore(restore_target, tmp_path / "old.tar.gz")

    assert (done.revision, done.migrated_to) == ("0004", schema.head())
    engine = make_engine(restore_target.db_url)
    assert schema.current(engine) == schema.head() and not schema.check(engine)
    with read_scope(engine) as session:
        policies = session.exec(select(Policy)).all()
    assert len(policies) == manifest["tables"]["policy"]
    assert {p.audience for p in policies} >= {Audience.ENTERPRISE}  # 0005's column, filled on the way up
    engine.dispose()


def test_vectors_travel_with_the_backup(demo_engine, settings: Settings, restore_target: Settings,
                                        tmp_path: Path) -> None:
    cache = VectorCache(settings.vector_cache_dir, "some-model", 4)
    cache.put([text_key("some-model", "第一条")], np.ones((1, 4), dtype=np.float32))
    cache.close()
    manifest = backup.backup(settings, tmp_path / "kb.tar.gz")
    assert manifest["vectors"] == {"some-model.sqlite": 1}

    assert backup.restore(restore_target, tmp_path / "kb.tar.gz").vectors == 1
    back = VectorCache(restore_target.vector_cache_dir, "some-model", 4)
    assert back.get([text_key("some-model", "第一条")])
    back.close()


@pytest.mark.parametrize("content, message", [
    (b"not a backup", "不是政策通的备份文件"),
    ({"format": "policykb-backup", "format_version": 1, "revision": "9999", "policykb": "9.0"},
     "版本为 9999，本程序不认识"),
    ({"format": "policykb-backup", "format_version": 7, "revision": "0001", "policykb": "9.0"},
     "由更新的政策通"),
])
def test_files_that_cannot_be_restored_are_named(tmp_path: Path, restore_target: Settings,
                                                 content: bytes | dict[str, bytes],
                                                 message: str) -> None:
    path = tmp_path / "bad.tar.gz"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        data = json.dumps(content).encode()
        with tarfile.open(path, "w:gz") as tar:
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with pytest.raises(backup.BackupError, match=message):
        backup.restore(restore_target, path)


def test_cli_backs_up_and_restores(cli_env: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture) -> None:
    assert main(["demo", "--no-serve"]) == 0
    capsys.readouterr()
    assert main(["ask", "首次认定高企的公司县里奖励多少钱"]) == 0
    answer = capsys.readouterr().out
    assert main(["backup", str(tmp_path / "kb.tar.gz")]) == 0
    out = capsys.readouterr().out
    assert "备份已写出" in out and "签名密钥：已包含" in out

    assert main(["restore", str(tmp_path / "kb.tar.gz")]) == 2  # this home holds the demo
    assert "已有数据" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "missing.tar.gz")]) == 2
    assert "没有备份文件" in capsys.readouterr().err

    assert main(["restore", "--force", str(tmp_path / "kb.tar.gz")]) == 0
    out = capsys.readouterr().out
    assert "各表行数与备份清单一致" in out
    assert "索引：已重建" in out
    assert main(["ask", "首次认定高企的公司县里奖励多少钱"]) == 0
    assert capsys.readouterr().out == answer  # the same answer from the rebuilt index
    assert "金科发〔2024〕8号" in answer


@pytest.mark.skipif(not databases.on_postgres(), reason="restores a SQLite backup into PostgreSQL")
def test_a_sqlite_backup_restores_into_postgresql(tmp_path: Path, restore_target: Settings) -> None:
    """A county that outgrows one machine moves its SQLite knowledge base into the server."""
    source = Settings(home=tmp_path / "sqlite", index_dir=tmp_path / "sqlite" / "indexes",
                      embedding_model="none", database_url=f"sqlite:///{tmp_path / 'kb.db'}")
    engine = make_engine(source.db_url)
    schema.upgrade(engine)
    load_demo(engine)
    manifest = backup.backup(source, tmp_path / "kb.tar.gz")
    assert manifest["dialect"] == "sqlite"

    backup.restore(restore_target, tmp_path / "kb.tar.gz")

    server = make_engine(restore_target.db_url)
    assert server.dialect.name == "postgresql" and not schema.check(server)
    with dump.snapshot(server) as conn:
        assert {t.name: dump.count_rows(conn, t) for t in dump.tables(conn)} == manifest["tables"]

    def policies(eng: Engine) -> set:
        with read_scope(eng) as session:
            return {(p.source_key, p.title, p.doc_number, p.validity, p.superseded_by_id)
                    for p in session.exec(select(Policy))}

    assert policies(server) == policies(engine)
    engine.dispose()
    server.dispose()
