"""The app's scheduled jobs: validity expiry at start-up and just after every county midnight.

Every web worker runs this loop, but a job runs once per period for the whole cluster: each wake
claims the job's lease (kb/database/leases.py) and only the winner works. The loop also wakes every
``RETRY_S``, so a period whose holder died (its lease lapsed) is run by another worker.
"""

import asyncio
import logging
from datetime import datetime, time, timedelta

from fastapi import FastAPI

from kb.clock import COUNTY_TZ, county_today
from kb.database import leases
from kb.database.db import key, session_scope
from kb.library.validity import expire_overdue
from kb.models import utcnow

log = logging.getLogger("policykb")

RUN_AT = time(0, 1)  # a minute past midnight: "today" is safely the new day, whatever the clock skew
MAX_SLEEP_S = 3600  # wake hourly to re-read the wall clock, so a clock change cannot skip a day
EXPIRY_JOB = "validity-expiry"
RETRY_S = 300  # how soon a period left undone (failed, or its holder died) is tried again
LEASE_S = 600  # a holder gone this long is taken for dead (the job takes well under a second)


def next_run(now: datetime) -> datetime:
    """The next county 00:01 after the aware datetime ``now``."""
    local = now.astimezone(COUNTY_TZ)
    at = datetime.combine(local.date(), RUN_AT, tzinfo=COUNTY_TZ)
    return at if at > local else at + timedelta(days=1)


def period_of(now: datetime, every_s: float = 0) -> str:
    """The period ``now`` falls in: the county day that starts at 00:01, or with ``every_s`` a
    slot of that many seconds (KB_VALIDITY_EVERY_S, for tests and demonstrations)."""
    if every_s:
        return f"every-{every_s:g}s-{int(now.timestamp() // every_s)}"
    local = now.astimezone(COUNTY_TZ)
    return (local - timedelta(hours=RUN_AT.hour, minutes=RUN_AT.minute)).date().isoformat()


def next_wake(now: datetime, every_s: float = 0) -> datetime:
    """When the loop next claims: the next period's start, or sooner to retry an undone one."""
    if every_s:
        return datetime.fromtimestamp((int(now.timestamp() // every_s) + 1) * every_s, now.tzinfo)
    return min(next_run(now), now + timedelta(seconds=RETRY_S))


def run_scheduled(app: FastAPI) -> list[int] | None:
    """Run the expiry job if this worker wins this period's lease; None when another has it."""
    every_s = app.state.settings.validity_every_s
    period = period_of(utcnow(), every_s)
    ran, ids = leases.run_once(app.state.engine, job=EXPIRY_JOB, period=period,
                               work=lambda: run_expiry(app, period=period), lease_s=LEASE_S)
    return ids if ran else None


def run_expiry(app: FastAPI, *, period: str = "") -> list[int]:
    """Expire overdue policies in one unit of work, then let this process's searcher catch up."""
    today = app.state.settings.validity_today or county_today()
    with session_scope(app.state.engine) as session:
        expired = expire_overdue(session=session, today=today)
        described = [f"《{p.title}》(id {p.id}, 有效期至 {p.effective_to})" for p in expired]
        ids = [key(p) for p in expired]
    if expired:
        log.info("validity expiry %s%s: %d policies now 失效: %s", today, _in(period), len(ids),
                 "; ".join(described))
        searcher = app.state.searcher
        searcher.changed()  # read the new validity now, not at the next 0.2 s check
        searcher.ensure_fresh()
    else:
        log.info("validity expiry %s%s: nothing overdue", today, _in(period))
    return ids


def _in(period: str) -> str:
    return f" (period {period})" if period else ""


async def _daily(app: FastAPI) -> None:
    """Run the expiry job after every county midnight, forever; a failure waits for the next night."""
    while True:
        due = next_wake(utcnow(), app.state.settings.validity_every_s)
        while (left := (due - utcnow()).total_seconds()) > 0:
            await asyncio.sleep(min(left, MAX_SLEEP_S))
        job = asyncio.ensure_future(asyncio.to_thread(run_scheduled, app))
        try:
            await asyncio.shield(job)
        except asyncio.CancelledError:
            await asyncio.wait([job])  # shutting down: let the transaction finish, not the engine
            raise
        except Exception:
            log.exception("validity expiry failed; it is tried again within five minutes")


def start(app: FastAPI) -> None:
    """Run the start-up jobs and schedule the daily ones."""
    try:
        run_scheduled(app)
    except Exception:  # answering with yesterday's validity beats not starting at all
        log.exception("validity expiry at start-up failed; it is tried again within five minutes")
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
