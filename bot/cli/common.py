"""Helpers shared by CLI commands: settings, logging, failing with one clear line."""

from __future__ import annotations

import logging
import sys
from typing import NoReturn

import typer
from pydantic import ValidationError

from bot.config import Settings


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
    """Configures logging to stderr; the console chat only shows warnings."""
    level = logging.WARNING if quiet else getattr(logging, settings.log_level.upper(), logging.INFO)
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)


def fail(message: str) -> NoReturn:
    """Prints `message` to stderr and exits with status 2."""
    typer.echo(message, err=True)
    raise typer.Exit(2)
