"""The HTTP side of rate limits: 429 with Retry-After; the counting is ``kb.ratelimit``'s."""

import math

from fastapi import FastAPI, HTTPException, Request

from kb.ratelimit.service import RateLimiter


def limiters(app: FastAPI) -> None:
    """Put the ask, feedback and /track limiters on ``app.state``, shared by all workers."""
    s, engine = app.state.site, app.state.engine
    app.state.ask_limiter = RateLimiter(engine=engine, scope="ask", limit=s.ask_rate_limit,
                                        window_s=s.ask_rate_window_s)
    app.state.feedback_limiter = RateLimiter(engine=engine, scope="feedback",
                                             limit=s.ask_rate_limit, window_s=s.ask_rate_window_s)
    app.state.track_limiter = RateLimiter(engine=engine, scope="track", limit=s.track_rate_limit,
                                          window_s=s.track_rate_window_s)


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
