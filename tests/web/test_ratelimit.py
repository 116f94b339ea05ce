"""Rate limiting of POST /api/ask: per client, 429 with Retry-After, memory bounded."""

import threading

import pytest
from fastapi.testclient import TestClient

from web.app import create_app
from web.ratelimit import SlidingWindowLimiter


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


def test_window_slides():
    clock = Clock()
    limiter = SlidingWindowLimiter(limit=2, window_s=10, clock=clock)
    assert limiter.hit("a") == 0
    clock.now += 3
    assert limiter.hit("a") == 0
    clock.now += 1
    assert limiter.hit("a") == pytest.approx(6)  # the first event leaves the window in 6 s
    clock.now += 6
    assert limiter.hit("a") == 0  # its slot is free again
    assert limiter.hit("a") == pytest.approx(3)  # the second leaves 3 s later


def test_memory_is_bounded_by_forgetting_the_stalest_client():
    limiter = SlidingWindowLimiter(limit=1, window_s=60, max_keys=100, clock=Clock())
    assert limiter.hit("first") == 0
    for i in range(100):
        limiter.hit(f"client-{i}")
    assert len(limiter._events) == 100
    assert limiter.hit("first") == 0  # forgotten, so allowed again


def test_concurrent_hits_never_exceed_the_limit():
    limiter = SlidingWindowLimiter(limit=50, window_s=60)
    allowed = []

    def worker() -> None:
        allowed.extend(1 for _ in range(20) if limiter.hit("same") == 0)

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
