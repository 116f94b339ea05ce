"""An index folder belongs to the database it was built from: knowledge bases never share one."""

import json

import pytest
from sqlmodel import Session, select

from kb.cli.main import main
from kb.config import Settings, get_settings
from kb.database.db import create_schema, make_engine
from kb.library.index_state import database_identity
from kb.models import Passage
from kb.search.answers import ask
from kb.search.service import Searcher
from tests.utils import databases
from tests.utils.builders import ingest, load_demo, write_notice


def _kb(settings: Settings):
    settings.ensure_dirs()
    engine = make_engine(settings.db_url)
    create_schema(engine)
    return engine


def test_a_second_knowledge_base_in_the_same_index_folder_gets_its_own_index(tmp_path):
    shared = tmp_path / "indexes"  # the same folder given to both, as an old default did
    a = Settings(home=tmp_path / "a", index_dir=shared, embedding_model="none")
    engine_a = _kb(a)
    load_demo(engine_a)
    Searcher(engine_a, a).ensure_fresh()
    # On PostgreSQL the environment names this test's database: B needs one of its own.
    other = databases.create_database() if databases.on_postgres() else None
    b = Settings(home=tmp_path / "b", index_dir=shared, embedding_model="none",
                 database_url=other)
    engine_b = _kb(b)
    ingest(engine_b, write_notice(tmp_path / "notice.txt"))
    searcher = Searcher(engine_b, b)
    result = ask(searcher=searcher, question="银企对接会多久组织一次", threshold=0.0)
    assert result.hits and result.hits[0].section == "二、"
    with Session(engine_b) as session:
        passages = len(session.exec(select(Passage.id)).all())
    # B's own passages make up the base: nothing of A's statistics.
    assert searcher.lexical.n_base == searcher.lexical.n_docs == passages
    meta = json.loads((shared / "lexical" / "meta.json").read_text())
    assert meta["database"] == database_identity(engine_b) != database_identity(engine_a)
    engine_a.dispose()
    engine_b.dispose()
    if other:
        databases.drop_database(other)


def test_identity_is_made_once_and_kept(engine):
    first = database_identity(engine)
    assert first == database_identity(engine)
    assert len(first) == 16


def test_default_index_folder_follows_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KB_INDEX_DIR", raising=False)
    monkeypatch.setenv("KB_EMBEDDING_MODEL", "none")
    monkeypatch.delenv("KB_DATABASE_URL", raising=False)
    folders = []
    try:
        for home in ("a", "b"):
            monkeypatch.setenv("KB_HOME", home)
            get_settings.cache_clear()
            assert main(["init"]) == 0
            folders.append(get_settings().index_dir.resolve())
    finally:
        get_settings.cache_clear()
    assert folders == [tmp_path / "a" / "indexes", tmp_path / "b" / "indexes"]
    assert not (tmp_path / "indexes").exists()


@pytest.mark.parametrize("explicit", ["elsewhere"])
def test_an_explicit_index_folder_is_still_honoured(tmp_path, explicit):
    s = Settings(home=tmp_path / "var", index_dir=tmp_path / explicit)
    assert s.index_dir == tmp_path / explicit
