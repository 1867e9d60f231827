"""Runs the dispatcher and the scheduler together (alone, or inside the bot or console)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from bot.runtime.composition import (
    build_sms_gateway,
    build_telegram_sender,
    build_whatsapp_gateway,
)
from bot.runtime.scheduler import NotificationScheduler
from bot.services.container import Services
from notificaciones.budgets import SharedBudgets
from notificaciones.dispatcher import Dispatcher
from notificaciones.gateways.sms import SmsGateway
from notificaciones.gateways.telegram import TelegramSender
from notificaciones.leases import Lease


@contextlib.asynccontextmanager
async def notifications_running(
    services: Services,
    *,
    gateway: SmsGateway | None = None,
    telegram: TelegramSender | None = None,
    write: Callable[[str], None] = print,
    tick_seconds: float = 60.0,
    idle_seconds: float = 2.0,
) -> AsyncIterator[Dispatcher]:
    """Starts the dispatcher loop and the scheduler as background work; stops them on exit."""
    settings = services.settings
    gateway = gateway or build_sms_gateway(settings, write)
    telegram = telegram or build_telegram_sender(settings, write)
    whatsapp = build_whatsapp_gateway(settings, write)
    dispatcher = Dispatcher.from_settings(
        services.session_factory,
        settings,
        gateway,
        telegram=telegram,
        whatsapp=whatsapp,
        clock=services.clock,
    )
    if services.engine.dialect.name == "postgresql":
        # Several replicas share one database: their sending rates add up in one budget.
        dispatcher.budgets = SharedBudgets.from_settings(services.session_factory, settings)
    lease = Lease.from_settings(
        services.session_factory, settings, dispatcher.worker, services.clock
    )
    with contextlib.suppress(Exception):  # the database may be down: keep_alive retries
        await lease.renew()  # before the first claim, so a crash right away is noticed too
    heartbeat = asyncio.create_task(lease.keep_alive(), name="dispatcher-lease")
    scheduler = NotificationScheduler(services, dispatcher, tick_seconds=tick_seconds)
    task = asyncio.create_task(dispatcher.run_forever(idle_seconds), name="sms-dispatcher")
    scheduler.start()
    try:
        yield dispatcher
    finally:
        await scheduler.stop()
        for running in (task, heartbeat):
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
        with contextlib.suppress(Exception):
            await lease.release()  # what the cancelled batch left is reconciled at once
        await gateway.close()
        if whatsapp is not None:
            await whatsapp.close()
