"""Helpers shared by CLI commands: settings, logging, failing with one clear line."""

from __future__ import annotations

import logging
import sys
from typing import NoReturn

import typer
from pydantic import ValidationError

from bot.config import Settings
from bot.log_format import log_handler


class SettingsError(Exception):
    """The environment or .env holds a value that does not parse."""


def load_settings() -> Settings:
    """Reads the settings; a malformed value becomes one line naming the setting."""
    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "?"
        raise SettingsError(f"el valor de {name} no es válido ({first['msg']}).") from None


def setup_logging(settings: Settings, *, quiet: bool = False) -> None:
    """Configures logging to stderr (text or JSON lines: LOG_FORMAT); the console chat only
    shows warnings. The library floors of bot/log_privacy.py apply either way."""
    level = logging.WARNING if quiet else getattr(logging, settings.log_level.upper(), logging.INFO)
    logging.basicConfig(level=level, handlers=[log_handler(settings.log_format, sys.stderr)])
    logging.getLogger("httpx").setLevel(logging.WARNING)


def fail(message: str) -> NoReturn:
    """Prints `message` to stderr and exits with status 2."""
    typer.echo(message, err=True)
    raise typer.Exit(2)
