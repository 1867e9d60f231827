"""Starts the product's long-running modes (console chat, Telegram polling or webhook)."""

from __future__ import annotations

import asyncio

from bot.channels.console import run_console
from bot.config import Settings
from bot.flows.engine import FlowEngine
from bot.flows.registry import build_flows
from bot.services.container import build_services
from notificaciones.runner import notifications_running


async def run_console_chat(settings: Settings) -> None:
    """Runs the console chat until the user leaves; background jobs run alongside."""
    services = await build_services(settings)
    try:
        engine = FlowEngine(services, build_flows())
        # Outgoing SMS and Telegram notices are printed by the console adapters.
        async with notifications_running(services):
            await run_console(engine)
    finally:
        await services.close()


def run_telegram(settings: Settings) -> None:
    """Runs the Telegram bot with long polling (see bot/handlers)."""
    from bot.handlers.application import run_polling

    run_polling(settings)


async def serve_webhooks(settings: Settings) -> None:
    """Serves Telegram's and Twilio's webhooks on one uvicorn server until it is stopped.

    Checks the webhook settings first (a missing TELEGRAM_WEBHOOK_SECRET or PUBLIC_BASE_URL is
    named before anything starts), then registers the webhook with Telegram.
    """
    import uvicorn

    from bot.handlers.application import build_application
    from bot.handlers.webhook import register_webhook, telegram_routes, webhook_secret, webhook_url
    from notificaciones.web import build_app

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
            app = build_app(services, extra_routes=telegram_routes(application))
            config = uvicorn.Config(
                app, host=settings.web_host, port=settings.web_port, proxy_headers=True
            )
            await uvicorn.Server(config).serve()
        finally:
            if application.running:
                await application.stop()
            await application.shutdown()
    finally:
        await services.close()


def run_webhook(settings: Settings) -> None:
    """Runs the bot in webhook mode (Telegram + Twilio webhooks) until interrupted."""
    asyncio.run(serve_webhooks(settings))
