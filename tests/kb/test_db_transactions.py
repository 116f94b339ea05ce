"""One write-transaction discipline: concurrent writers wait for the lock instead of failing."""

import multiprocessing
import threading

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Connection
from sqlmodel import select

from kb.database.db import ReadOnlyError, create_schema, make_engine, read_scope, session_scope
from kb.models import Department
from tests.utils.databases import on_postgres

ROUNDS = 15


def _read_then_write(url: str, tag: str, rounds: int) -> list[str]:
    """Units of work that read, then write: deferred transactions fail these at once."""
    engine = make_engine(url)
    errors = []
    try:
        for n in range(rounds):
            try:
                with session_scope(engine) as session:
                    count = session.exec(select(func.count()).select_from(Department)).one()
                    session.add(Department(name=f"{tag}-{n}", phone=str(count)))
            except Exception as exc:  # noqa: BLE001 (collected and asserted on below)
                errors.append(f"{tag}: {exc}")
    finally:
        engine.dispose()
    return errors


def _reader(url: str, stop: threading.Event, errors: list[str], reads: list[int]) -> None:
    engine = make_engine(url)
    try:
        while not stop.is_set():
            try:
                with read_scope(engine) as session:
                    session.exec(select(func.count()).select_from(Department)).one()
                reads.append(1)
            except Exception as exc:  # noqa: BLE001
                errors.append(f"reader: {exc}")
    finally:
        engine.dispose()


def _process_main(url: str, tag: str, rounds: int, out: multiprocessing.Queue) -> None:
    out.put(_read_then_write(url, tag, rounds))


@pytest.mark.timeout(120)
def test_many_threads_and_processes_write_and_read_one_sqlite_file(engine, settings):
    url = settings.db_url
    stop = threading.Event()
    errors: list[str] = []
    reads: list[int] = []
    readers = [threading.Thread(target=_reader, args=(url, stop, errors, reads)) for _ in range(3)]
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_process_main, args=(url, f"p{i}", ROUNDS, out)) for i in range(3)]
    results: list[list[str]] = []

    def thread_writer(i: int) -> None:
        results.append(_read_then_write(url, f"t{i}", ROUNDS))

    writers = [threading.Thread(target=thread_writer, args=(i,)) for i in range(6)]
    for t in readers + writers:
        t.start()
    for p in procs:
        p.start()
    for t in writers:
        t.join(timeout=90)
    for p in procs:
        results.append(out.get(timeout=90))
        p.join(timeout=30)
    stop.set()
    for t in readers:
        t.join(timeout=30)
    errors += [e for r in results for e in r]
    assert errors == []
    assert reads  # readers were never shut out by the writers
    with read_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Department)).one() == 9 * ROUNDS


def test_a_read_only_session_refuses_to_write(engine):
    with pytest.raises(ReadOnlyError), read_scope(engine) as session:
        session.add(Department(name="nope"))
        session.flush()
    with read_scope(engine) as session:
        assert session.exec(select(Department)).first() is None


@pytest.mark.skipif(on_postgres(), reason="BEGIN IMMEDIATE is SQLite's; PostgreSQL's row locks wait")
def test_writers_begin_immediate_and_readers_deferred(engine):
    seen: list[str] = []
    from sqlalchemy import event

    @event.listens_for(engine, "before_cursor_execute")
    def _log(conn: Connection, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith("BEGIN"):
            seen.append(statement)

    with session_scope(engine) as session:
        session.exec(select(Department)).all()
    with read_scope(engine) as session:
        session.exec(select(Department)).all()
    assert seen == ["BEGIN IMMEDIATE", "BEGIN"]


def test_other_dialects_get_the_same_scopes(tmp_path):
    # The option is carried by the engine, whatever the dialect; SQLite only is exercised here.
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    create_schema(engine)
    with session_scope(engine) as session:
        assert session.get_bind().get_execution_options()["kb_write"] is True
    engine.dispose()


def test_what_a_read_loaded_stays_readable_after_the_scope(engine):
    with session_scope(engine) as session:
        session.add(Department(name="县科技局"))
    with read_scope(engine) as session:
        found = session.exec(select(Department)).one()
    assert found.name == "县科技局"  # a page renders after its read scope has ended
