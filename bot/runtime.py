"""Starts the product's long-running modes (console chat, Telegram bot) from the settings."""

from __future__ import annotations

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
