"""Builds the notification adapters from the settings (the one place that picks them)."""

from __future__ import annotations

from collections.abc import Callable

from bot.config import Settings
from notificaciones.gateway import ConsoleSmsGateway, SmsGateway
from notificaciones.telegram_sender import ConsoleTelegramSender, TelegramSender


def build_sms_gateway(settings: Settings, write: Callable[[str], None] = print) -> SmsGateway:
    """Twilio when credentials are configured, else the console gateway (prints SMS)."""
    if settings.uses_twilio:
        from notificaciones.twilio_gateway import TwilioSmsGateway

        return TwilioSmsGateway(settings)
    return ConsoleSmsGateway(write=write)


def build_telegram_sender(
    settings: Settings, write: Callable[[str], None] = print
) -> TelegramSender:
    """python-telegram-bot's Bot when a token is configured, else the console sender."""
    if settings.uses_telegram:
        from notificaciones.telegram_sender import PtbTelegramSender

        return PtbTelegramSender(settings)
    return ConsoleTelegramSender(write=write)
