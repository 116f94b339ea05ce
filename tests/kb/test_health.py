"""Readiness: the database at the code's revision, the index following it, vectors not stuck."""

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from kb.database.db import make_engine, session_scope
from kb.operations.health import Readiness
from kb.search.fusion import FusionSetting
from kb.search.service import Searcher
from tests.kb.search.dense.test_vector_cache import POLICIES, CountingEncoder
from tests.utils.builders import ingest, write_jsonl


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def readiness(engine: Engine, searcher: Searcher, clock: Callable[[], float]) -> Readiness:
    return Readiness(engine, searcher, max_lag_s=5, max_dense_lag_s=60, clock=clock)


def _until(predicate: Callable[[], object], what: str) -> None:
    done = threading.Event()
    for _ in range(200):
        if predicate():
            return
        done.wait(0.05)
    pytest.fail(what)


def test_a_loaded_index_at_the_database_version_is_ready(demo_engine, settings) -> None:
    searcher = Searcher(demo_engine, settings)
    probe = readiness(demo_engine, searcher, Clock())
    assert probe.check()["checks"]["index"]["error"] == "the search index is not loaded yet"
    searcher.ensure_fresh()
    found = probe.check()
    assert found["ready"] and set(found["checks"]) == {"database", "schema", "index"}


def test_an_index_left_behind_goes_red_then_back(demo_engine, settings, tmp_path) -> None:
    searcher = Searcher(demo_engine, settings)
    searcher.ensure_fresh()
    clock = Clock()
    probe = readiness(demo_engine, searcher, clock)
    with searcher._lock:  # as a long rebuild holds it: the index cannot follow
        ingest(demo_engine, write_jsonl(tmp_path / "p.jsonl", POLICIES[:1]))
        first = probe.check()
        assert first["ready"] and first["checks"]["index"]["behind_s"] == 0  # a moment is fine
        clock.now += 6
        late = probe.check()
        assert not late["ready"]
        assert "behind the database for 6 s" in late["checks"]["index"]["error"]
    # The probe started the searcher following: it catches up, and readiness comes back.
    _until(lambda: probe.check()["ready"], "the index did not catch up")
    index = probe.check()["checks"]["index"]
    assert index["version"] == index["database_version"] and index["behind_s"] == 0


def test_a_schema_not_at_the_code_revision_is_named(demo_engine, settings) -> None:
    searcher = Searcher(demo_engine, settings)
    searcher.ensure_fresh()
    probe = readiness(demo_engine, searcher, Clock())
    with session_scope(demo_engine) as session:
        session.execute(text("UPDATE alembic_version SET version_num = '0005'"))
    found = probe.check()
    assert not found["ready"]
    assert "the database is at revision 0005" in found["checks"]["schema"]["error"]


def test_an_unreachable_database_is_named(engine, settings, tmp_path) -> None:
    searcher = Searcher(engine, settings)
    searcher.ensure_fresh()
    gone = make_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'kb.db'}")
    found = readiness(gone, searcher, Clock()).check()
    assert not found["ready"] and "OperationalError" in found["checks"]["database"]["error"]
    gone.dispose()


def test_passages_stuck_without_vectors_go_red(engine, settings, tmp_path) -> None:
    encoder = CountingEncoder()
    searcher = Searcher(engine, settings, encoder=encoder, background=True,
                        setting=FusionSetting(mode="hybrid", method="weighted", weight=0.5))
    searcher.ensure_fresh()
    clock = Clock()
    probe = readiness(engine, searcher, clock)
    encoder.gate = threading.Event()  # the model is busy
    ingest(engine, write_jsonl(tmp_path / "p.jsonl", POLICIES[:2]))
    searcher.changed()
    searcher.ensure_fresh()
    assert probe.check()["ready"]
    clock.now += 61
    dense = probe.check()["checks"]["dense"]
    assert not dense["ok"] and dense["waiting"] > 0 and "waited 61 s" in dense["error"]
    encoder.gate.set()
    assert searcher.wait_for_vectors(30)
    assert probe.check()["ready"]
