"""Dispatcher leases: a heartbeat row per running dispatcher, so its death is known in seconds.

A dispatcher claims outbox rows (status SENDING, `claimed_by` = its worker name) before it calls
the provider. If it dies there, those rows are stranded: nobody knows whether they went out.
They must be reconciled (asked of the provider), but not while their dispatcher may still be
sending them. Without a lease, "may still be sending" can only be guessed from the claim's age
(the dispatcher's fixed fallback, 10 minutes). With one, every dispatcher renews its row in
`dispatcher_leases` every DISPATCHER_HEARTBEAT_SECONDS, pushing `expires_at`
DISPATCHER_LEASE_SECONDS ahead; once `expires_at` has passed, its holder is known dead and its
SENDING rows are reconciled by the next pass of any dispatcher or scheduler (`dead_holders`).

The holder is the dispatcher's worker name, which carries a random part
(`dispatcher.default_worker_name`): a restarted process with the same host and pid is a new
holder and never revives the old lease. A clean stop ends the lease at once (`release`), so
rows left SENDING by a cancelled batch are reconciled without waiting. A dispatcher whose
heartbeats stalled (database outage) and then resumes simply renews its row; rows reconciled in
between are settled with the provider, never re-sent blindly (see notificaciones/dispatcher.py).
Times come from the injected clock of each process: replicas need NTP-synchronised clocks, and
the lease must be a few heartbeats long to absorb skew and a slow pass.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, exists, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.domain.clock import Clock, utc_now
from bot.storage.db import SessionFactory
from bot.storage.models import DispatcherLease, OutboxMessage

log = logging.getLogger(__name__)


def dead_holders(now: datetime) -> Select[str]:
    """The holders whose lease has expired: their claimed rows may be reconciled now."""
    return select(DispatcherLease.holder).where(DispatcherLease.expires_at <= now)


@dataclass
class Lease:
    """The lease of one dispatcher: renewed by `keep_alive`, ended by `release`."""

    session_factory: SessionFactory
    holder: str
    interval: timedelta = timedelta(seconds=10)
    expiry: timedelta = timedelta(seconds=45)
    clock: Clock = utc_now
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    started_at: datetime | None = field(default=None, init=False)

    @classmethod
    def from_settings(
        cls, session_factory: SessionFactory, settings: Settings, holder: str, clock: Clock
    ) -> Lease:
        """A lease with the configured heartbeat interval and expiry."""
        return cls(
            session_factory,
            holder,
            interval=timedelta(seconds=settings.dispatcher_heartbeat_seconds),
            expiry=timedelta(seconds=settings.dispatcher_lease_seconds),
            clock=clock,
        )

    async def renew(self) -> None:
        """Creates or extends the lease row (one upsert in its own transaction)."""
        now = self.clock()
        self.started_at = self.started_at or now
        async with self.session_factory() as session, session.begin():
            dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            statement = insert(DispatcherLease).values(
                holder=self.holder,
                started_at=self.started_at,
                heartbeat_at=now,
                expires_at=now + self.expiry,
            )
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[DispatcherLease.holder],
                    set_={
                        "heartbeat_at": statement.excluded.heartbeat_at,
                        "expires_at": statement.excluded.expires_at,
                    },
                )
            )

    async def keep_alive(self) -> None:
        """Renews the lease every `interval` until cancelled; a failed renewal is retried."""
        while True:
            try:
                await self.renew()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("Dispatcher heartbeat failed; retrying", exc_info=True)
            await self.sleep(self.interval.total_seconds())

    async def release(self) -> None:
        """Ends the lease now: rows this dispatcher left SENDING are reconciled at once."""
        now = self.clock()
        async with self.session_factory() as session, session.begin():
            await session.execute(
                update(DispatcherLease)
                .where(DispatcherLease.holder == self.holder)
                .values(expires_at=now)
                .execution_options(synchronize_session=False)
            )


async def prune_dead_leases(session: AsyncSession, now: datetime, keep: timedelta) -> int:
    """Deletes leases dead for longer than `keep` that no SENDING row still names."""
    still_named = exists().where(
        OutboxMessage.status == "sending", OutboxMessage.claimed_by == DispatcherLease.holder
    )
    result = await session.execute(
        delete(DispatcherLease)
        .where(DispatcherLease.expires_at < now - keep, ~still_named)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
