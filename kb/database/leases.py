"""Scheduled jobs that run once per period for the whole cluster, whatever the number of processes.

A job's row (``JobLease``) names the last period it completed and, while it runs, its holder and
the time the holder's lease ends. Claiming is one ``UPDATE … WHERE … RETURNING`` (atomic on SQLite
and PostgreSQL alike): it succeeds only when the period is not done yet and nobody holds a live
lease, so of several processes waking together one runs the job and the others skip it; a holder
that died leaves a lease that lapses, and the next process to wake runs the period again.
"""

import os
import socket
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import col

from kb.database.db import insert_ignore, session_scope
from kb.models import JobLease, utcnow

T = TypeVar("T")


def holder_name() -> str:
    """This process, as a lease names it (host and pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def claim(engine: Engine, *, job: str, period: str, holder: str, lease_s: float) -> bool:
    """Take ``job`` for ``period`` unless it is done or held; True when this holder runs it."""
    now = utcnow()
    with session_scope(engine) as session:
        insert_ignore(session, JobLease, [{"name": job, "period": ""}])
        taken = session.connection().execute(
            update(JobLease)
            .where(col(JobLease.name) == job, col(JobLease.period) != period,
                   or_(col(JobLease.until).is_(None), col(JobLease.until) < now))
            .values(holder=holder, until=now + timedelta(seconds=lease_s))
            .returning(col(JobLease.name)))
        return taken.first() is not None


def finish(engine: Engine, *, job: str, period: str, holder: str, done: bool) -> None:
    """Release ``job``; with ``done`` the period counts as completed (else it may be retried)."""
    values: dict[str, object] = {"holder": None, "until": None}
    if done:
        values |= {"period": period, "done_at": utcnow()}
    with session_scope(engine) as session:
        session.connection().execute(
            update(JobLease).where(col(JobLease.name) == job, col(JobLease.holder) == holder)
            .values(**values))


def run_once(engine: Engine, *, job: str, period: str, work: Callable[[], T],
             lease_s: float = 600, holder: str | None = None) -> tuple[bool, T | None]:
    """Run ``work`` if this process wins ``job`` for ``period``; (ran, its result)."""
    holder = holder or holder_name()
    if not claim(engine, job=job, period=period, holder=holder, lease_s=lease_s):
        return False, None
    try:
        result = work()
    except BaseException:
        finish(engine, job=job, period=period, holder=holder, done=False)  # others may retry
        raise
    finish(engine, job=job, period=period, holder=holder, done=True)
    return True, result
