"""The app's scheduled jobs: validity expiry at start-up and just after every county midnight."""

import asyncio
import logging
from datetime import datetime, time, timedelta

from fastapi import FastAPI

from kb.clock import COUNTY_TZ, county_today
from kb.db import session_scope
from kb.library.validity import expire_overdue
from kb.models import utcnow

log = logging.getLogger("policykb")

RUN_AT = time(0, 1)  # a minute past midnight: "today" is safely the new day, whatever the clock skew
MAX_SLEEP_S = 3600  # wake hourly to re-read the wall clock, so a clock change cannot skip a day
EXPIRY_JOB = "validity-expiry"


def next_run(now: datetime) -> datetime:
    """The next county 00:01 after the aware datetime ``now``."""
    local = now.astimezone(COUNTY_TZ)
    at = datetime.combine(local.date(), RUN_AT, tzinfo=COUNTY_TZ)
    return at if at > local else at + timedelta(days=1)


def run_expiry(app: FastAPI) -> list[int]:
    """Expire overdue policies in one unit of work, then let this process's searcher catch up."""
    today = app.state.settings.validity_today or county_today()
    with session_scope(app.state.engine) as session:
        expired = expire_overdue(session=session, today=today)
        described = [f"《{p.title}》(id {p.id}, 有效期至 {p.effective_to})" for p in expired]
        ids = [p.id for p in expired]
    if expired:
        log.info("validity expiry %s: %d policies now 失效: %s", today, len(ids),
                 "; ".join(described))
        searcher = app.state.searcher
        searcher.changed()  # read the new validity now, not at the next 0.2 s check
        searcher.ensure_fresh()
    else:
        log.info("validity expiry %s: nothing overdue", today)
    return ids


async def _daily(app: FastAPI) -> None:
    """Run the expiry job after every county midnight, forever; a failure waits for the next night."""
    while True:
        due = next_run(utcnow())
        while (left := (due - utcnow()).total_seconds()) > 0:
            await asyncio.sleep(min(left, MAX_SLEEP_S))
        job = asyncio.ensure_future(asyncio.to_thread(run_expiry, app))
        try:
            await asyncio.shield(job)
        except asyncio.CancelledError:
            await asyncio.wait([job])  # shutting down: let the transaction finish, not the engine
            raise
        except Exception:
            log.exception("validity expiry failed; it runs again after the next midnight")


def start(app: FastAPI) -> None:
    """Run the start-up jobs and schedule the daily ones."""
    try:
        run_expiry(app)
    except Exception:  # answering with yesterday's validity beats not starting at all
        log.exception("validity expiry at start-up failed; it runs again after midnight")
    jobs = getattr(app.state, "jobs", None) or {}
    jobs[EXPIRY_JOB] = asyncio.get_running_loop().create_task(_daily(app), name=EXPIRY_JOB)
    app.state.jobs = jobs


async def stop(app: FastAPI) -> None:
    """Cancel the scheduled jobs and wait for them to end."""
    jobs: dict[str, asyncio.Task] = getattr(app.state, "jobs", None) or {}
    for task in jobs.values():
        task.cancel()
    for task in jobs.values():
        try:
            await task
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("scheduled job %s ended with an error", task.get_name())
    jobs.clear()
