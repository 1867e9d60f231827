"""Starts the product's long-running modes (console chat, Telegram polling or webhook)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.flows.engine import FlowEngine
from bot.flows.registry import build_flows
from bot.handlers.console import run_console
from bot.runtime.composition import build_services, build_sms_gateway, build_whatsapp_gateway
from bot.runtime.notifications import notifications_running
from bot.runtime.panel import local_panel

if TYPE_CHECKING:
    from bot.handlers.telegram.application import BotRequest


async def run_console_chat(settings: Settings) -> None:
    """Runs the console chat until the user leaves; background jobs run alongside."""
    services = await build_services(settings)
    try:
        engine = FlowEngine(services, build_flows())
        # Outgoing SMS and Telegram notices are printed by the console adapters; the staff
        # panel is served beside the chat with a demo account (bot/runtime/panel.py).
        async with notifications_running(services), local_panel(services):
            await run_console(engine)
    finally:
        await services.close()


def run_telegram(settings: Settings) -> None:
    """Runs the Telegram bot with long polling, with the SMS dispatcher and scheduler alongside."""
    settings.require_telegram_token()
    asyncio.run(serve_polling(settings))


async def serve_polling(
    settings: Settings,
    stop: asyncio.Event | None = None,
    *,
    request: BotRequest | None = None,
) -> None:
    """Polls Telegram and runs notifications in the same process until `stop` or a signal.

    `request` replaces the HTTP client of the Bot API (tests pass a fake one).
    """
    from bot.handlers.telegram.application import (
        build_application,
        outage_of,
        start_polling,
        stop_polling,
    )

    stop = stop or _stop_on_signals()
    services = await build_services(settings)
    try:
        application = build_application(services, request=request, updates_request=request)
        async with application:
            await start_polling(application)
            async with notifications_running(services):
                await stop.wait()
            outage_of(application).stop()  # updates waiting for the database give up
            await stop_polling(application)
    finally:
        await services.close()


def _stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT/SIGTERM, so the bot stops cleanly (queued work stays in the DB)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    return stop


async def serve_webhooks(settings: Settings) -> None:
    """Serves Telegram's and Twilio's webhooks on one uvicorn server until it is stopped.

    Checks the webhook settings first (a missing TELEGRAM_WEBHOOK_SECRET or PUBLIC_BASE_URL is
    named before anything starts), then registers the webhook with Telegram.
    """
    import uvicorn

    from bot.handlers.telegram.application import build_application, reply_sender_of
    from bot.handlers.telegram.webhook import (
        register_webhook,
        telegram_routes,
        webhook_secret,
        webhook_url,
    )
    from bot.handlers.web import build_app

    settings.require_telegram_token()
    webhook_secret(settings)
    webhook_url(settings)
    services = await build_services(settings)
    try:
        application = build_application(services)
        await application.initialize()
        try:
            await application.start()
            await register_webhook(application)
            async with notifications_running(services) as dispatcher:
                # Answers to SMS/WhatsApp leave at once through this process's dispatcher.
                app = build_app(
                    services, extra_routes=telegram_routes(application), replies=dispatcher
                )
                config = uvicorn.Config(
                    app, host=settings.web_host, port=settings.web_port, proxy_headers=True
                )
                await uvicorn.Server(config).serve()
        finally:
            await reply_sender_of(application).aclose()  # the last replies' outcomes stored
            if application.running:
                await application.stop()
            await application.shutdown()
    finally:
        await services.close()


def run_webhook(settings: Settings) -> None:
    """Runs the bot in webhook mode (Telegram + Twilio webhooks) until interrupted."""
    asyncio.run(serve_webhooks(settings))


async def serve_notifications(settings: Settings) -> None:
    """Runs the SMS dispatcher and the notification scheduler alone until cancelled."""
    services = await build_services(settings)
    try:
        async with notifications_running(services):
            await _stop_on_signals().wait()
    finally:
        await services.close()


async def serve_twilio_webhooks(settings: Settings) -> None:
    """Serves the Twilio webhooks alone (no Telegram) on WEB_HOST:WEB_PORT until stopped.

    The answers to inbound SMS/WhatsApp are sent at once from here; notices and retries are
    left to the `scheduler` process's dispatcher loop.
    """
    import uvicorn

    from bot.handlers.web import build_app
    from notificaciones.dispatcher import Dispatcher

    services = await build_services(settings)
    gateway = build_sms_gateway(settings)
    whatsapp = build_whatsapp_gateway(settings)
    try:
        replies = Dispatcher.from_settings(
            services.session_factory, settings, gateway, whatsapp=whatsapp, clock=services.clock
        )
        config = uvicorn.Config(
            build_app(services, replies=replies),
            host=settings.web_host,
            port=settings.web_port,
            proxy_headers=True,
        )
        await uvicorn.Server(config).serve()
    finally:
        await gateway.close()
        if whatsapp is not None:
            await whatsapp.close()
        await services.close()
