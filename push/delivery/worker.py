"""The delivery worker: lease one due unit, send it, record the outcome, repeat.

Each unit (one push, or one digest) takes three steps, each short: claim it with a lease in one
transaction, send it with no transaction open, record the outcome in a second transaction. A crash
between sending and recording leaves the lease to expire; the unit is then re-sent with the same
idempotency key and the receiver drops it. At most one unit per worker is in flight.
"""

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, inspect, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel, col, select

from kb.config import Settings
from kb.database.db import session_scope
from kb.database.leases import run_once as run_job
from push.delivery.channels.base import Channel, DeliveryResult, Outgoing
from push.delivery.clock import to_utc
from push.delivery.gates import Verdict, assemble_digests, judge
from push.delivery.models import ChannelState, Digest, Push, PushStatus
from push.delivery.outbox import create_reminders
from push.delivery.render import render
from push.delivery.subscriptions import (
    channel_state,
    get_subscription,
    suspend_channel,
    webhook_secret,
)
from push.settings import push_settings

SUSPEND_AFTER = 5  # consecutive webhook failures before the channel is suspended
REMINDER_EVERY_S = 60.0
# One worker of the cluster makes them each period (kb/database/leases.py).
REMINDER_JOB = "push-reminders"
log = logging.getLogger("policykb.push")
RECORD_TRIES = 5
UnitModel = type[Push] | type[Digest]  # what the worker leases: one push, or one digest
UNIT_MODELS: tuple[UnitModel, ...] = (Push, Digest)


def _table(model: type[SQLModel]) -> Table:
    """A table model's Core table (``model.__table__``, which SQLModel sets but does not type)."""
    return cast(Table, inspect(model).local_table)


@dataclass
class PassReport:
    """What a pass of the worker did."""

    delivered: int = 0
    failed: int = 0
    dead: int = 0
    deferred: int = 0
    cancelled: int = 0
    held: int = 0
    reminders: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line for the terminal."""
        return (f"送达{self.delivered}，失败待重试{self.failed}，死信{self.dead}，延后{self.deferred}，"
                f"取消{self.cancelled}，暂停渠道挂起{self.held}，新建提醒{self.reminders}")


@dataclass
class Claimed:
    """A leased unit and its rendered message."""

    model: UnitModel
    unit_id: int
    message: Outgoing


@dataclass
class Worker:
    """Delivers due pushes and digests through ``channels``."""

    engine: Engine
    settings: Settings
    channels: dict[str, Channel]
    worker_id: str
    lease_s: float = 60.0
    suspend_after: int = SUSPEND_AFTER
    rng: random.Random = field(default_factory=random.Random)
    prefetch: int = 100  # ids noted per look-up; only one unit is ever leased at a time
    _queue: deque[tuple[UnitModel, int]] = field(default_factory=deque, init=False, repr=False)

    def recover(self) -> int:
        """Release this worker id's own leases left by a crash, so they are re-sent at once."""
        with session_scope(self.engine) as session:
            total = 0
            for model in UNIT_MODELS:
                total += session.exec(update(model).where(
                    col(model.claimed_by) == self.worker_id,
                    col(model.status) == PushStatus.PENDING,
                ).values(lease_until=None, claimed_by=None)).rowcount or 0
            return total

    def _refill(self, now: datetime) -> None:
        """Bundle due digests and note the next due units (ids only; each claim re-checks)."""
        with session_scope(self.engine) as session:
            assemble_digests(session=session, now=now)
            found: list[tuple[datetime, bool, int, UnitModel]] = []
            for model in UNIT_MODELS:
                query = select(col(model.id), col(model.due_at)).where(
                    model.status == PushStatus.PENDING, col(model.due_at) <= now,
                    or_(col(model.lease_until).is_(None), col(model.lease_until) < now))
                if model is Push:
                    query = query.where(col(Push.digest_slot).is_(None),
                                        col(Push.digest_id).is_(None))
                rows = session.exec(query.order_by(col(model.due_at), col(model.id))
                                    .limit(self.prefetch)).all()
                # A stored row's primary key is never NULL, though the model types it optional.
                found += [(due, model is Digest, i, model)
                          for i, due in cast(Sequence[tuple[int, datetime]], rows)]
        self._queue = deque((model, i) for *_, i, model in sorted(found, key=lambda f: f[:3]))

    def _claim(self, now: datetime, report: PassReport) -> Claimed | None:
        if not self._queue:
            self._refill(now)
        while self._queue:
            with session_scope(self.engine) as session:
                while self._queue:
                    model, unit_id = self._queue.popleft()
                    claimed = self._try(session, model, unit_id, now, report)
                    if claimed is not None:
                        return claimed
            if not self._queue:
                self._refill(now)
        return None

    def _try(self, session: Session, model: UnitModel, unit_id: int, now: datetime,
             report: PassReport) -> Claimed | None:
        """Gate and lease one unit; None when it is not (or no longer) ours to send now."""
        unit = session.get(model, unit_id)
        if (unit is None or unit.status != PushStatus.PENDING or to_utc(unit.due_at) > now
                or (unit.lease_until is not None and to_utc(unit.lease_until) >= now)):
            return None
        gate = judge(session=session, unit=unit, now=now, cap=push_settings(self.settings).push_daily_cap)
        if gate.verdict is not Verdict.SEND:
            setattr(report, gate.verdict.value, getattr(report, gate.verdict.value) + 1)
            return None
        table = _table(model)  # a Core UPDATE: the row is leased only if nobody else holds it
        won = session.connection().execute(update(table).where(
            table.c.id == unit_id, table.c.status == PushStatus.PENDING,
            or_(table.c.lease_until.is_(None), table.c.lease_until < now),
        ).values(claimed_by=self.worker_id,
                 lease_until=now + timedelta(seconds=self.lease_s))).rowcount
        if not won:
            return None
        sub = gate.subscription
        if unit.channel == "webhook" and (sub is None or not sub.webhook_secret):
            secret = webhook_secret(session=session, firm_id=unit.firm_id)
            sub = get_subscription(session=session, firm_id=unit.firm_id)
            sub.webhook_secret = secret
        if gate.firm is None:  # judge() names the firm with every SEND; render() reads it
            raise AttributeError(f"推送单元{unit_id}放行时缺少企业")
        message = render(settings=self.settings, firm=gate.firm, sub=sub, pushes=gate.pushes,
                         key=unit.key, channel=unit.channel,
                         digest=unit if isinstance(unit, Digest) else None)
        return Claimed(model, unit_id, message)

    def _send(self, claimed: Claimed) -> DeliveryResult:
        channel = self.channels.get(claimed.message.channel)
        if channel is None:
            return DeliveryResult(ok=False, permanent=True,
                                  detail=f"未知渠道：{claimed.message.channel}")
        try:
            return channel.send(claimed.message)
        except Exception as exc:  # noqa: BLE001  (a channel bug must not stop the worker)
            return DeliveryResult(ok=False, detail=f"渠道异常：{type(exc).__name__}: {exc}")

    def _record(self, claimed: Claimed, result: DeliveryResult, now: datetime,
                report: PassReport) -> None:
        with session_scope(self.engine) as session:
            unit = session.get(claimed.model, claimed.unit_id)
            if unit is None or unit.status != PushStatus.PENDING:
                return  # another worker recorded it after our lease expired
            members = (list(session.exec(select(Push).where(  # not those cancelled at the gate
                Push.digest_id == claimed.unit_id, Push.status == PushStatus.PENDING)))
                if claimed.model is Digest else [])
            unit.claimed_by, unit.lease_until = None, None
            if result.ok:
                unit.status, unit.delivered_at, unit.detail = PushStatus.DELIVERED, now, result.detail
                for push in members:
                    push.status, push.delivered_at = PushStatus.DELIVERED, now
                health = _table(ChannelState)
                session.connection().execute(update(health).where(
                    health.c.firm_id == unit.firm_id, health.c.channel == unit.channel,
                    health.c.consecutive_failures > 0).values(consecutive_failures=0))
                session.add_all([unit, *members])
                report.delivered += 1
            else:
                state = channel_state(session=session, firm_id=unit.firm_id, channel=unit.channel)
                unit.attempts += 1
                unit.last_error = f"第{unit.attempts}次失败：{result.detail}"
                state.consecutive_failures += 1
                if result.suspend:
                    suspend_channel(session=session, firm_id=unit.firm_id, channel=unit.channel,
                                    reason=f"硬退信：{result.detail}", now=now)
                elif (unit.channel == "webhook"
                      and state.consecutive_failures >= self.suspend_after):
                    suspend_channel(session=session, firm_id=unit.firm_id, channel=unit.channel,
                                    reason=f"连续失败{state.consecutive_failures}次：{result.detail}",
                                    now=now)
                if result.permanent or unit.attempts >= push_settings(self.settings).push_max_attempts:
                    unit.status = PushStatus.DEAD
                    report.dead += 1
                elif state.suspended_at is not None:
                    unit.status = PushStatus.HELD
                    report.held += 1
                else:
                    delay = push_settings(self.settings).push_backoff_s * 2 ** (unit.attempts - 1)
                    unit.due_at = now + timedelta(seconds=delay * self.rng.uniform(1.0, 1.2))
                    report.failed += 1
                for push in members:
                    push.status, push.last_error = unit.status, unit.last_error
                session.add_all([unit, state, *members])

    def step(self, *, now: datetime | None = None, report: PassReport | None = None) -> bool:
        """Deliver one due unit; False when nothing is due."""
        report = report if report is not None else PassReport()
        try:
            claimed = self._claim(to_utc(now), report)
        except OperationalError as exc:  # another worker holds the write lock: try again later
            report.errors.append(str(exc))
            return False
        if claimed is None:
            return False
        result = self._send(claimed)
        for attempt in range(RECORD_TRIES):  # recording must not be lost to a busy database
            try:
                self._record(claimed, result, to_utc(now), report)
                break
            except OperationalError as exc:
                report.errors.append(f"记录结果失败（第{attempt + 1}次）：{exc}")
                time.sleep(0.2 * (attempt + 1))
        else:  # the lease will expire and the unit is re-sent with the same key
            log.error("push worker: 无法记录%s的结果，将按同一幂等键重发", claimed.message.key)
        return True

    def run_once(self, *, now: datetime | None = None, max_units: int = 1_000_000) -> PassReport:
        """Create due reminders, then deliver until nothing is due (``policykb push run``)."""
        report = PassReport()
        with session_scope(self.engine) as session:
            report.reminders = create_reminders(session=session, now=now)
        for _ in range(max_units):
            if not self.step(now=now, report=report):
                break
        return report

    def _make_reminders(self) -> int:
        with session_scope(self.engine) as session:
            return create_reminders(session=session)

    def run(self, *, stop: threading.Event, poll_s: float = 2.0,
            on_pass: Callable[[PassReport], None] | None = None) -> PassReport:
        """Poll until ``stop`` is set; the unit in flight is finished first (graceful SIGTERM)."""
        report = PassReport()
        next_reminders: float | None = None  # None: make reminders now, whatever the clock reads
        while not stop.is_set():
            if next_reminders is None or time.monotonic() >= next_reminders:
                try:
                    _, made = run_job(self.engine, job=REMINDER_JOB, work=self._make_reminders,
                                      period=str(int(time.time() // REMINDER_EVERY_S)),
                                      lease_s=REMINDER_EVERY_S * 5)
                    report.reminders += made or 0  # another worker's turn this period: 0
                    next_reminders = time.monotonic() + REMINDER_EVERY_S
                except OperationalError as exc:
                    report.errors.append(f"生成提醒失败：{exc}")
            worked = self.step(report=report)
            for error in report.errors:  # visible in the worker's log, not kept forever
                log.warning("push worker: %s", error)
            report.errors.clear()
            if not worked:
                if on_pass:
                    on_pass(report)
                stop.wait(poll_s)
        for channel in self.channels.values():
            channel.close()
        return report


@dataclass
class Background:
    """A worker delivering in a daemon thread of this process (``policykb serve``)."""

    worker: Worker
    thread: threading.Thread
    stop_event: threading.Event

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the unit in flight and end the thread."""
        self.stop_event.set()
        self.thread.join(timeout)


def start_background(*, engine: Engine, settings: Settings, worker_id: str,
                     poll_s: float = 2.0) -> Background:
    """Recover this worker's leases and deliver in a thread until ``stop``."""
    from push.delivery.channels import build_channels

    worker = Worker(engine=engine, settings=settings, worker_id=worker_id,
                    channels=build_channels(settings=settings, engine=engine))
    worker.recover()
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, kwargs={"stop": stop, "poll_s": poll_s},
                              name=f"push-worker-{worker_id}", daemon=True)
    thread.start()
    return Background(worker, thread, stop)
