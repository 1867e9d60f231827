"""APScheduler only ticks: each tick runs the idempotent jobs, which read their work from the DB.

When several processes run on PostgreSQL, only the one holding a session-level advisory lock
ticks; the others try again on their next tick (so one takes over when the leader dies). SQLite
serves a single process, which always ticks. Dispatchers need no lock: their claims are atomic.
The leader also runs the retention job hourly (bot/storage/retention.py), so tables stay bounded.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import metrics
from bot.services.container import Services
from bot.storage.retention import apply_retention, retention_rules
from notificaciones.budgets import prune_idle_chat_budgets
from notificaciones.condition_reminders import materialise_condition_reminders
from notificaciones.dispatcher import Dispatcher
from notificaciones.jobs import JobReport, run_jobs
from notificaciones.leases import prune_dead_leases

log = logging.getLogger(__name__)

ADVISORY_LOCK_KEY = 0x4D49_4553  # "MIES"
LEASE_KEEP = timedelta(days=1)  # a dead dispatcher's lease stays a day (for the record)


class SchedulerLeadership:
    """Holds the PostgreSQL advisory lock that elects the one ticking scheduler."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._connection: AsyncConnection | None = None

    @property
    def needs_lock(self) -> bool:
        """True on PostgreSQL (several processes may share the database)."""
        return self._services.engine.dialect.name == "postgresql"

    async def acquire(self) -> bool:
        """True if this process leads (already or newly); never waits."""
        if not self.needs_lock:
            return True
        if self._connection is not None and not self._connection.closed:
            return True
        connection = await self._services.engine.connect()
        got = await connection.scalar(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
        )
        await connection.commit()
        if got:
            self._connection = connection
            return True
        await connection.close()
        return False

    async def release(self) -> None:
        """Gives up the lock (closing the session releases it too)."""
        if self._connection is not None:
            try:
                await self._connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY}
                )
            finally:
                await self._connection.close()
                self._connection = None


class NotificationScheduler:
    """Ticks the jobs and the stale-send reconciliation on an AsyncIOScheduler."""

    def __init__(
        self,
        services: Services,
        dispatcher: Dispatcher,
        *,
        tick_seconds: float = 60.0,
        retention_seconds: float = 3600.0,
        conditions_seconds: float = 3600.0,
    ) -> None:
        self.services = services
        self.dispatcher = dispatcher
        self.tick_seconds = tick_seconds
        self.retention_seconds = retention_seconds
        self._expected: float | None = None  # when the next tick should start (monotonic)
        self.monotonic = time.monotonic
        self.conditions_seconds = conditions_seconds
        self.leadership = SchedulerLeadership(services)
        self._scheduler: AsyncIOScheduler | None = None
        self._ticking = asyncio.Lock()  # held during a tick, so stop() lets it finish

    async def tick(self) -> JobReport | None:
        """Runs the jobs once if this process leads; None when another process does."""
        if not await self.leadership.acquire():
            return None
        now = self.services.clock()
        async with self.services.session_factory() as session, session.begin():
            report = await run_jobs(session, self.services.settings, now)
        await self.dispatcher.reconcile_stale()
        return report

    async def retention(self) -> dict[str, int] | None:
        """Deletes rows past their retention age (bot/storage/retention.py) if this process leads.

        Also prunes dead dispatcher leases and idle per-chat sending budgets.
        """
        if not await self.leadership.acquire():
            return None
        settings = self.services.settings
        now = self.services.clock()
        rules = retention_rules(
            outbox_days=settings.outbox_retention_days,
            inbound_days=settings.inbound_retention_days,
            audit_days=settings.audit_retention_days,
        )
        deleted = await apply_retention(
            self.services.session_factory, rules, now, batch_rows=settings.retention_batch_rows
        )
        async with self.services.session_factory() as session, session.begin():
            deleted["dispatcher_leases"] = await prune_dead_leases(session, now, LEASE_KEEP)
            deleted["send_budgets"] = await prune_idle_chat_budgets(session)
        for table, count in deleted.items():
            metrics.RETENTION_DELETED.labels(table).inc(count)
        if any(deleted.values()):
            log.info("Retention deleted %s", deleted)
        return deleted

    async def tick_conditions(self) -> int | None:
        """Queues the corresponsabilidad reminders once if this process leads; rows added."""
        if not await self.leadership.acquire():
            return None
        now = self.services.clock()
        async with self.services.session_factory() as session, session.begin():
            added = await materialise_condition_reminders(session, self.services.settings, now)
        if added:
            log.info("Queued %s corresponsabilidad reminders", added)
        return added

    async def _safe_tick_conditions(self) -> None:
        try:
            async with self._ticking:
                await self.tick_conditions()
        except Exception:
            log.exception("Corresponsabilidad reminders failed; the next run retries")

    async def _safe_tick(self) -> None:
        started = self.monotonic()
        if self._expected is not None:
            metrics.SCHEDULER_LAG.set(max(0.0, started - self._expected))
        self._expected = started + self.tick_seconds
        try:
            async with self._ticking:
                await self.tick()
        except Exception:
            log.exception("Scheduler tick failed; the next tick retries")
        metrics.SCHEDULER_TICK_SECONDS.set(self.monotonic() - started)

    async def _safe_retention(self) -> None:
        try:
            async with self._ticking:
                await self.retention()
        except Exception:
            log.exception("Retention failed; the next run retries")

    def start(self) -> None:
        """Starts ticking now and every `tick_seconds` (needs a running event loop)."""
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(
            self._safe_tick,
            "interval",
            seconds=self.tick_seconds,
            id="notificaciones-tick",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=self.services.clock(),
        )
        scheduler.add_job(
            self._safe_retention,
            "interval",
            seconds=self.retention_seconds,
            id="retention",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        # Hourly is enough: reminders leave at 09:00 local and are queued up to a day ahead.
        scheduler.add_job(
            self._safe_tick_conditions,
            "interval",
            seconds=self.conditions_seconds,
            id="corresponsabilidad",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=self.services.clock(),
        )
        scheduler.start()
        self._scheduler = scheduler

    async def stop(self) -> None:
        """Stops ticking and releases the leadership lock."""
        if self._scheduler is not None:
            self._scheduler.pause()
            async with self._ticking:  # APScheduler's shutdown cancels a running tick: let it end
                self._scheduler.shutdown(wait=False)
            self._scheduler = None
        await self.leadership.release()
