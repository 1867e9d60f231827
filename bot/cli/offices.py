"""`import offices`: the staff-maintained office directory from CSV (docs/offices-csv.md)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import fail, load_settings
from bot.cli.registry import import_app
from bot.domain.clock import utc_now
from bot.services.offices_import import OfficeImportSummary, import_offices
from bot.services.registry_import import ImportFileError
from bot.storage.db import create_engine


async def _run(database_url: str, path: Path, dry_run: bool) -> OfficeImportSummary:
    engine = create_engine(database_url)
    try:
        return await import_offices(engine, path, now=utc_now(), dry_run=dry_run)
    finally:
        await engine.dispose()


@import_app.command("offices")
def import_offices_command(
    path: Annotated[Path, typer.Argument(help="archivo CSV (ver docs/offices-csv.md)")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="solo valida: no cambia la base de datos")
    ] = False,
) -> None:
    """Imports the office directory: address, hours, phone, services, jurisdiction (idempotent)."""
    settings = load_settings()
    try:
        summary = asyncio.run(_run(settings.database_url, path, dry_run))
    except ImportFileError as error:
        fail(f"No se importó nada: {error}")
    mode = "SIMULACIÓN (--dry-run): no se cambió nada. " if summary.dry_run else ""
    typer.echo(
        f"{mode}Filas leídas: {summary.rows_read} · válidas: {summary.rows_valid} · "
        f"cambiadas: {summary.rows_changed} · con error: {summary.rows_failed}"
    )
    for row_error in summary.errors:
        typer.echo(f"  línea {row_error.line}, columna {row_error.column}: {row_error.reason}")
    if summary.errors:
        raise typer.Exit(1)
