"""The command line: `python -m bot --help` lists every command."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from typing import Annotated

import typer

from bot.cli.acompanamiento import acompanamiento_app, attendance_app
from bot.cli.common import SettingsError, fail, load_settings, setup_logging
from bot.cli.data import data_app
from bot.cli.db import db_app
from bot.cli.dialogues import dialogues_app
from bot.cli.exports import export_app
from bot.cli.nlu import nlu_app
from bot.cli.offices import import_offices_command as _registers_import_offices  # noqa: F401
from bot.cli.registry import import_app
from bot.cli.reports import reports_app
from bot.cli.staff import staff_app
from bot.config import MissingSetting

app = typer.Typer(
    help="MIES Conecta: bot de comunicación ciudadana.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db_app, name="db")
app.add_typer(data_app, name="data")
app.add_typer(import_app, name="import")
app.add_typer(staff_app, name="staff")
app.add_typer(dialogues_app, name="dialogues")
app.add_typer(reports_app, name="reports")
app.add_typer(export_app, name="export")
app.add_typer(acompanamiento_app, name="acompanamiento")
app.add_typer(attendance_app, name="asistencia")
app.add_typer(nlu_app, name="nlu")

log = logging.getLogger(__name__)


@app.command()
def console() -> None:
    """Opens the local console chat (same flows as Telegram; SMS are printed)."""
    from bot.runtime.modes import run_console_chat

    settings = load_settings()
    setup_logging(settings, quiet=True)
    asyncio.run(run_console_chat(settings))


@app.command()
def run(
    channel: Annotated[
        str, typer.Option(help="auto: Telegram if TELEGRAM_TOKEN is set, else console")
    ] = "auto",
    mode: Annotated[
        str,
        typer.Option(
            help="Telegram: polling (default) or webhook (needs TELEGRAM_WEBHOOK_SECRET and "
            "PUBLIC_BASE_URL; also serves the Twilio webhooks)"
        ),
    ] = "polling",
) -> None:
    """Runs the product: the Telegram bot when a token is set, else the console chat."""
    settings = load_settings()
    if channel not in ("auto", "telegram", "console"):
        fail(f"Canal desconocido: {channel}. Use auto, telegram o console.")
    if mode not in ("polling", "webhook"):
        fail(f"Modo desconocido: {mode}. Use polling o webhook.")
    if mode == "webhook":
        if channel == "console":
            fail("El modo webhook es para Telegram; quite --channel console.")
        setup_logging(settings)
        from bot.runtime.modes import run_webhook

        run_webhook(settings)
        return
    if channel == "console" or (channel == "auto" and not settings.uses_telegram):
        console()
        return
    settings.require_telegram_token()
    setup_logging(settings)
    from bot.runtime.modes import run_telegram

    run_telegram(settings)


@app.command()
def scheduler() -> None:
    """Runs the SMS dispatcher and the notification scheduler alone."""
    settings = load_settings()
    setup_logging(settings)
    from bot.runtime.modes import serve_notifications

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_notifications(settings))


@app.command()
def web() -> None:
    """Serves the Twilio webhooks alone (inbound SMS and delivery-status callbacks)."""
    settings = load_settings()
    setup_logging(settings)
    from bot.runtime.modes import serve_twilio_webhooks

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_twilio_webhooks(settings))


def main() -> None:
    """Entry point: runs the CLI and turns configuration errors into one clear line."""
    try:
        app()
    except (MissingSetting, SettingsError) as error:
        print(f"Error de configuración: {error}", file=sys.stderr)
        sys.exit(2)
