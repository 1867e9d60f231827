"""The composition root: builds the services and the notification adapters from `Settings`.

The one place that picks adapters (Twilio or the console for SMS and WhatsApp, python-telegram-bot
or the console for Telegram notices) and opens the database.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.domain.clock import Clock, utc_now
from bot.services import audit
from bot.services.audit_key import load_audit_key
from bot.services.container import Services
from bot.services.territory import TerritoryDirectory
from bot.storage.db import SessionFactory, create_engine, create_session_factory
from notificaciones.gateways.sms import ConsoleSmsGateway, SmsGateway
from notificaciones.gateways.telegram import ConsoleTelegramSender, TelegramSender
from notificaciones.gateways.whatsapp import ConsoleWhatsAppGateway, WhatsAppGateway


def audited_session_factory(engine: AsyncEngine, settings: Settings) -> SessionFactory:
    """A session factory whose sessions carry the audit pseudonym key (`audit.bind_key`).

    Raises `MissingSetting` when production has no `AUDIT_PSEUDONYM_KEY`.
    """
    factory = create_session_factory(engine)
    audit.bind_key(factory, load_audit_key(settings))
    return factory


async def build_services(settings: Settings, *, clock: Clock = utc_now) -> Services:
    """Connects to the database and loads the territory directory.

    Raises `MissingSetting` before connecting when production has no `AUDIT_PSEUDONYM_KEY`.
    """
    key = load_audit_key(settings)
    engine = create_engine(settings.database_url, concurrency=settings.max_concurrent_updates)
    factory = create_session_factory(engine)
    audit.bind_key(factory, key)
    async with factory() as session:
        territory = await TerritoryDirectory.load(session)
    return Services(
        settings=settings, engine=engine, session_factory=factory, territory=territory, clock=clock
    )


def build_sms_gateway(settings: Settings, write: Callable[[str], None] = print) -> SmsGateway:
    """Twilio when credentials are configured, else the console gateway (prints SMS)."""
    if settings.uses_twilio:
        from notificaciones.gateways.twilio import TwilioSmsGateway

        return TwilioSmsGateway(settings)
    return ConsoleSmsGateway(write=write)


def build_telegram_sender(
    settings: Settings, write: Callable[[str], None] = print
) -> TelegramSender:
    """python-telegram-bot's Bot when a token is configured, else the console sender."""
    if settings.uses_telegram:
        from notificaciones.gateways.telegram import PtbTelegramSender

        return PtbTelegramSender(settings)
    return ConsoleTelegramSender(write=write)


def build_whatsapp_gateway(
    settings: Settings, write: Callable[[str], None] = print
) -> WhatsAppGateway | None:
    """Twilio's WhatsApp sender when configured; the console one with Twilio off; else None."""
    if not settings.uses_whatsapp:
        return None
    if settings.uses_twilio:
        from notificaciones.gateways.twilio import TwilioWhatsAppGateway

        return TwilioWhatsAppGateway(settings)
    return ConsoleWhatsAppGateway(write=write)
