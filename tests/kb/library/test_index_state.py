"""The index version: every bump gets its own number, also when processes bump at once."""

import threading

from kb.database.db import session_scope
from kb.library.index_state import bump_version, current_version


def test_bumps_at_once_never_share_a_number(engine):
    got: list[int] = []
    errors: list[BaseException] = []

    def bump_many() -> None:
        try:
            for _ in range(25):
                with session_scope(engine) as session:
                    got.append(bump_version(session=session))
        except BaseException as exc:  # noqa: BLE001 - any failure is the finding
            errors.append(exc)

    threads = [threading.Thread(target=bump_many) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sorted(got) == list(range(1, 101))  # a lost update would repeat a number
    with session_scope(engine) as session:
        assert current_version(session=session) == 100


def test_the_bumping_session_reads_its_own_new_version(engine):
    with session_scope(engine) as session:
        assert current_version(session=session) == 0
        assert bump_version(session=session) == 1
        assert current_version(session=session) == 1
