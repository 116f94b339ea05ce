"""A per-client sliding-window rate limit, in process, thread-safe and bounded in memory."""

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from fastapi import HTTPException, Request


class SlidingWindowLimiter:
    """At most ``limit`` events per ``window_s`` seconds per key; least recently seen keys are dropped."""

    def __init__(self, *, limit: int, window_s: float, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_keys = max_keys
        self.clock = clock
        self._events: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str) -> float:
        """Count one event for ``key``: 0 if allowed, else the seconds until one would be."""
        now = self.clock()
        with self._lock:
            events = self._events.get(key)
            if events is None:
                events = self._events[key] = deque(maxlen=self.limit)
                if len(self._events) > self.max_keys:
                    # Forgetting the stalest client can only let it ask a little early: a safe loss.
                    self._events.popitem(last=False)
            self._events.move_to_end(key)
            while events and events[0] <= now - self.window_s:
                events.popleft()
            if len(events) >= self.limit:
                return events[0] + self.window_s - now
            events.append(now)
            return 0.0


def limit_asks(request: Request) -> None:
    """Dependency for POST /api/ask: 429 with Retry-After when this client asks too often."""
    from web.clients import client_address

    wait = request.app.state.ask_limiter.hit(client_address(request))
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        hotline = request.app.state.settings.hotline
        raise HTTPException(status_code=429, detail=f"提问过于频繁，请{seconds}秒后再试，"
                            f"或拨打{hotline}政务服务便民热线咨询。",
                            headers={"Retry-After": str(seconds)})


def limit_feedback(request: Request) -> None:
    """Dependency for POST /api/feedback: the same per-client limit, in a bucket of its own."""
    from web.clients import client_address

    wait = request.app.state.feedback_limiter.hit(client_address(request))
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise HTTPException(status_code=429, detail=f"反馈过于频繁，请{seconds}秒后再试。",
                            headers={"Retry-After": str(seconds)})
