"""Retention: the scheduler's leader deletes settled outbox rows, inbound SMS ids and audit entries
past their configured ages, in short batches, and never a message still queued or in flight.
The scheduler's lag is measured here too."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY
from pydantic import ValidationError
from sqlalchemy import func, select

from bot.config import Settings
from bot.runtime.scheduler import NotificationScheduler
from bot.services.container import Services
from bot.storage.models import AuditEntry, InboundSms, OutboxMessage
from bot.storage.retention import SETTLED_OUTBOX, apply_retention, retention_rules
from notificaciones import outbox_states
from notificaciones.dispatcher import Dispatcher
from notificaciones.gateways.sms import ConsoleSmsGateway
from tests.support.clock import FakeClock

STATUSES = (
    *SETTLED_OUTBOX,
    outbox_states.PENDING,
    outbox_states.SENDING,
    outbox_states.UNCONFIRMED,
    outbox_states.UNKNOWN,
)


async def _fill(services: Services, clock: FakeClock, tag: str) -> None:
    now = clock()
    async with services.session_factory() as session, session.begin():
        for index, status in enumerate(STATUSES):
            session.add(
                OutboxMessage(
                    dedupe_key=f"{tag}:{index}",
                    channel="sms",
                    address=f"+59399123{index:04d}",
                    body="" if status in SETTLED_OUTBOX else "Aviso",
                    kind="test",
                    status=status,
                    attempts=1,
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
        session.add(InboundSms(message_sid=f"SM{tag}", received_at=now))
        session.add(
            AuditEntry(
                at=now,
                actor_kind="citizen",
                actor_ref="p:abc",
                action="payment_lookup",
                detail={},
            )
        )


async def _count(services: Services, model: type[object]) -> int:
    async with services.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _outbox_statuses(services: Services) -> list[str]:
    async with services.session_factory() as session:
        return sorted(await session.scalars(select(OutboxMessage.status)))


async def test_the_leader_deletes_what_is_past_its_age_and_keeps_what_is_unsettled(
    services: Services, clock: FakeClock
) -> None:
    await _fill(services, clock, "old")  # 2026-11-20
    clock.advance(days=500)
    await _fill(services, clock, "new")
    clock.advance(days=1)
    settings = services.settings.model_copy(
        update={"outbox_retention_days": 400, "inbound_retention_days": 400}
    )
    services.settings = settings
    dispatcher = Dispatcher(
        services.session_factory, settings, ConsoleSmsGateway(write=lambda _l: None), clock=clock
    )

    scheduler = NotificationScheduler(services, dispatcher)
    try:
        deleted = await scheduler.retention()
        statuses, inbound = await _outbox_statuses(services), await _count(services, InboundSms)
        clock.advance(days=1900)
        again = await scheduler.retention()
    finally:
        await scheduler.leadership.release()  # the PostgreSQL advisory lock's connection

    assert deleted is not None
    assert (deleted["outbox"], deleted["inbound_sms"], deleted["audit_log"]) == (4, 1, 0)
    # the old unsettled rows stay, whatever their age; the new ones all stay
    unsettled = [
        outbox_states.PENDING,
        outbox_states.SENDING,
        outbox_states.UNCONFIRMED,
        outbox_states.UNKNOWN,
    ]
    assert statuses == sorted(unsettled * 2 + list(SETTLED_OUTBOX))
    assert inbound == 1
    # 1,900 days later the audit entries (kept 5 years by default) go too; unsettled rows stay
    assert again is not None and again["audit_log"] == 2
    assert await _outbox_statuses(services) == sorted(unsettled * 2)


async def test_a_large_backlog_goes_in_batches(services: Services, clock: FakeClock) -> None:
    for tag in ("a", "b", "c"):
        await _fill(services, clock, tag)
    clock.advance(days=30)
    rules = retention_rules(outbox_days=10, inbound_days=0, audit_days=0)

    first = await apply_retention(
        services.session_factory, rules, clock(), batch_rows=5, max_batches=1
    )
    rest = await apply_retention(services.session_factory, rules, clock(), batch_rows=5)

    assert (first, rest) == ({"outbox": 5}, {"outbox": 7})
    assert await _count(services, InboundSms) == 3  # 0 days: kept for ever


def test_the_settled_statuses_are_the_outbox_final_ones() -> None:
    assert set(SETTLED_OUTBOX) == {
        outbox_states.SENT,
        outbox_states.FAILED,
        outbox_states.OPTED_OUT,
        outbox_states.CANCELLED,
    }


def test_audit_retention_below_a_year_is_refused() -> None:
    with pytest.raises(ValidationError, match="AUDIT_RETENTION_DAYS"):
        Settings(_env_file=None, audit_retention_days=90)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="DISPATCHER_LEASE_SECONDS"):
        Settings(_env_file=None, dispatcher_heartbeat_seconds=30, dispatcher_lease_seconds=40)  # type: ignore[call-arg]
    assert Settings(_env_file=None, audit_retention_days=0).audit_retention_days == 0  # type: ignore[call-arg]


async def test_a_late_tick_shows_as_scheduler_lag(services: Services, clock: FakeClock) -> None:
    dispatcher = Dispatcher(
        services.session_factory,
        services.settings,
        ConsoleSmsGateway(write=lambda _l: None),
        clock=clock,
    )
    scheduler = NotificationScheduler(services, dispatcher, tick_seconds=60)
    now = [1000.0]
    scheduler.monotonic = lambda: now[0]
    try:
        await scheduler._safe_tick()
        now[0] += 75  # the event loop was busy: the tick due at +60 s starts at +75 s
        await scheduler._safe_tick()
    finally:
        await scheduler.leadership.release()

    assert REGISTRY.get_sample_value("mies_scheduler_lag_seconds") == 15
