"""Rate limiting of POST /api/ask: per client, 429 with Retry-After, shared by workers, bounded."""

import sqlite3
import threading

import pytest
from fastapi.testclient import TestClient

from kb.database.db import session_scope
from kb.ratelimit.models import RateCounter
from kb.ratelimit.service import RateLimiter, counts_for
from web.app import create_app


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def limited(demo_engine, web_settings):
    app = create_app(web_settings.model_copy(update={"ask_rate_limit": 3, "ask_rate_window_s": 60}))
    with TestClient(app, client=("198.51.100.1", 1000)) as first:
        yield first, TestClient(app, client=("198.51.100.2", 1000))


def test_over_the_limit_is_429_with_retry_after_and_others_are_unaffected(limited):
    first, other = limited
    for _ in range(3):
        assert first.post("/api/ask", json={"question": "高企奖励多少"}).status_code == 200
    res = first.post("/api/ask", json={"question": "高企奖励多少"})
    assert res.status_code == 429
    assert res.json()["detail"].startswith("提问过于频繁，请") and "秒后再试" in res.json()["detail"]
    assert 1 <= int(res.headers["Retry-After"]) <= 60
    assert other.post("/api/ask", json={"question": "高企奖励多少"}).status_code == 200
    # Other endpoints are not limited.
    assert first.get("/api/policies").status_code == 200


def limiter(engine, limit: int, window_s: int = 60, clock=None) -> RateLimiter:
    return RateLimiter(engine=engine, scope="ask", limit=limit, window_s=window_s,
                       clock=clock or Clock())


def rows(engine) -> int:
    """Counts kept (in the database's table, or the side file beside a SQLite database)."""
    return counts_for(engine).rows()


def test_windows_are_fixed_and_refused_hits_count(engine):
    clock = Clock()  # 1000.0: the 60-second window 960–1020
    limit = limiter(engine, 2, clock=clock)
    assert limit.hit("a") == 0
    clock.now += 3
    assert limit.hit("a") == 0
    assert limit.hit("a") == pytest.approx(17)  # until the window ends at 1020
    clock.now = 1019
    assert limit.hit("a") == pytest.approx(1)
    clock.now = 1020
    assert limit.hit("a") == 0  # a new window
    assert limit.hit("b") == 0  # and keys are apart


def test_a_blocked_client_stays_blocked_whatever_other_keys_arrive(engine):
    clock = Clock()
    limit = limiter(engine, 1, clock=clock)
    assert limit.hit("blocked") == 0
    assert limit.hit("blocked") > 0
    # More keys than the old in-process limiter kept (10,000): most written at once, as other
    # workers' hits would leave them, the last hundred counted one by one.
    others = [(f"ask:other-{i}", 960, 1020, 1) for i in range(12_000)]
    counts = counts_for(engine)
    if hasattr(counts, "path"):  # SQLite: the side file beside the database
        with sqlite3.connect(counts.path) as db:
            db.executemany("INSERT INTO rate_counter VALUES (?, ?, ?, ?)", others)
    else:
        with session_scope(engine) as s:
            s.add_all(RateCounter(key=k, window_start=w, expires_at=x, hits=h)
                      for k, w, x, h in others)
    for i in range(100):
        assert limit.hit(f"client-{i}") == 0
    assert limit.hit("blocked") > 0
    assert rows(engine) == 12_101


def test_expired_rows_are_purged_so_the_table_stays_small(engine):
    clock = Clock()
    limit = limiter(engine, 5, clock=clock)
    for i in range(100):
        limit.hit(f"client-{i}")
    assert rows(engine) == 100
    clock.now += 60
    assert limit.hit("late") == 0
    assert rows(engine) == 1


def test_limiters_of_two_apps_share_the_count(engine):
    # Two processes' limiters are two objects over one database: together they allow the limit.
    first, second = limiter(engine, 3), limiter(engine, 3)
    assert [first.hit("a"), second.hit("a"), first.hit("a")] == [0, 0, 0]
    assert second.hit("a") > 0


def test_concurrent_hits_never_exceed_the_limit(engine):
    limit = RateLimiter(engine=engine, scope="ask", limit=50, window_s=3600)
    allowed = []

    def worker() -> None:
        allowed.extend(1 for _ in range(20) if limit.hit("same") == 0)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 50


def test_feedback_is_rate_limited_per_client(demo_engine, web_settings):
    from fastapi.testclient import TestClient

    from web.app import create_app

    app = create_app(web_settings.model_copy(update={"ask_rate_limit": 2}))
    with TestClient(app, client=("203.0.113.50", 5000)) as c:
        qid = c.post("/api/ask", json={"question": "高企奖励多少"}).json()["question_id"]
        codes = [c.post("/api/feedback", json={"question_id": qid, "helpful": True}).status_code
                 for _ in range(3)]
    assert codes == [200, 200, 429]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_uvicorn_workers_share_one_limit(tmp_path):
    import httpx

    from bench.api import free_port, start_server
    from bench.mixed import environment, prepare

    env = environment(tmp_path) | {"KB_ASK_RATE_LIMIT": "5", "KB_ASK_RATE_WINDOW_S": "3600"}
    prepare(env)
    port = free_port()
    server = start_server(env, port, workers=3, wait_s=120)
    try:
        codes = []
        for _ in range(24):  # a new connection each time, so the workers share the questions
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
                codes.append(c.post("/api/ask", json={"question": "高企奖励多少"}).status_code)
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert codes.count(200) == 5 and codes.count(429) == 19, codes
