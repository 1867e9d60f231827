"""The scheduler ticks idempotently, one process leads on PostgreSQL, the console prints SMS."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.runtime.composition import build_services
from bot.runtime.notifications import notifications_running
from bot.runtime.scheduler import NotificationScheduler, SchedulerLeadership
from bot.services.container import Services
from bot.storage.models import Beneficiary, Event, OutboxMessage
from notificaciones import outbox
from notificaciones.dispatcher import Dispatcher
from notificaciones.gateways.sms import ConsoleSmsGateway
from tests.support.clock import FakeClock


async def test_ticks_queue_announcements_once(services: Services, clock: FakeClock) -> None:
    async with services.session_factory() as session, session.begin():
        session.add(
            Beneficiary(
                cedula="1100000019",
                names="Persona",
                mobile="+593991000001",
                parish_code="111252",
                programme="BDH",
                status="activo",
                row_hash="x",
                updated_at=clock(),
            )
        )
        session.add(
            Event(
                kind="feria",
                title="Feria",
                parish_code="111252",
                starts_at=datetime(2026, 12, 10, 15, 0, tzinfo=UTC),
                place="Parque",
                created_at=clock(),
            )
        )
    gateway = ConsoleSmsGateway(write=lambda _line: None)
    dispatcher = Dispatcher(services.session_factory, services.settings, gateway, clock=clock)
    scheduler = NotificationScheduler(services, dispatcher)

    first = await scheduler.tick()
    second = await scheduler.tick()
    await scheduler.stop()

    assert first is not None and first.announcements == 2  # default offsets: 7 days and 1 day
    assert second is not None and second.announcements == 0
    async with services.session_factory() as session:
        assert await session.scalar(select(func.count(OutboxMessage.id))) == 2


async def test_only_one_process_leads_on_postgresql(services: Services) -> None:
    other = await build_services(services.settings)
    first, second = SchedulerLeadership(services), SchedulerLeadership(other)
    try:
        assert await first.acquire()
        if first.needs_lock:
            assert not await second.acquire()
            await first.release()
            assert await second.acquire()  # the lock passes on when the leader goes
        else:
            assert await second.acquire()  # SQLite: a single process, always leads
    finally:
        await first.release()
        await second.release()
        await other.close()


async def test_console_chat_prints_outgoing_sms(services: Services, clock: FakeClock) -> None:
    lines: list[str] = []
    printed = asyncio.Event()

    def write(line: str) -> None:
        lines.append(line)
        printed.set()

    async with services.session_factory() as session, session.begin():
        await outbox.enqueue(
            session,
            channel="sms",
            address="+593991000001",
            body="Brigada el jueves",
            kind="test",
            dedupe_key="k",
            due_at=clock(),
            now=clock(),
        )
    async with notifications_running(services, write=write):
        await asyncio.wait_for(printed.wait(), timeout=10)
    assert lines == ["[SMS a +5939****001] Brigada el jueves"]
