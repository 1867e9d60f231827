"""`db` commands: schema migrations."""

from __future__ import annotations

import typer

from bot.cli.common import load_settings
from bot.storage.migrate import upgrade

db_app = typer.Typer(help="Base de datos: migraciones.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = "heads") -> None:
    """Applies the Alembic migrations up to REVISION (all by default)."""
    settings = load_settings()
    upgrade(settings.database_url, revision)
    typer.echo("Base de datos actualizada.")
