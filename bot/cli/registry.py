"""`importar` commands: the monthly beneficiary registry, events and commitments from CSV."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import fail, load_settings
from bot.domain.clock import utc_now
from bot.services.plans_import import PlanImportError, import_commitments, import_events
from bot.services.registry_import import (
    DEFAULT_BATCH_ROWS,
    ImportFileError,
    ImportRolledBack,
    ImportSummary,
    import_registry,
)
from bot.storage.db import create_engine

import_app = typer.Typer(
    help="Importa el registro de beneficiarios, eventos y compromisos desde CSV.",
    no_args_is_help=True,
)


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


async def _run_registry(
    database_url: str, path: Path, dry_run: bool, batch_rows: int, delimiter: str
) -> ImportSummary:
    engine = create_engine(database_url)
    size = max(await asyncio.to_thread(_size, path), 1)
    try:
        with typer.progressbar(length=size, label="Importando", file=None) as bar:
            done = 0

            def advance(position: int) -> None:
                nonlocal done
                bar.update(max(position - done, 0))
                done = max(position, done)

            return await import_registry(
                engine,
                path,
                now=utc_now(),
                dry_run=dry_run,
                batch_rows=batch_rows,
                progress=advance,
                delimiter=delimiter,
            )
    finally:
        await engine.dispose()


@import_app.command("registry")
def import_registry_command(
    path: Annotated[Path, typer.Argument(help="archivo CSV (ver docs/registry-csv.md)")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="solo valida: no cambia la base de datos")
    ] = False,
    batch_rows: Annotated[int, typer.Option(help="filas por lote")] = DEFAULT_BATCH_ROWS,
    delimiter: Annotated[
        str, typer.Option("--delimiter", help="separador de columnas: , (estándar) o ;")
    ] = ",",
) -> None:
    """Imports the monthly beneficiary registry (idempotent; broken rows go to a report)."""
    settings = load_settings()
    if not path.is_file():
        fail(f"No se importó nada: no existe el archivo {path}.")
    try:
        summary = asyncio.run(
            _run_registry(settings.database_url, path, dry_run, batch_rows, delimiter)
        )
    except ImportFileError as error:
        fail(f"No se importó nada: {error}")
    except ImportRolledBack as rolled:
        fail(
            f"La importación falló cerca de la línea {rolled.line} "
            f"({type(rolled.cause).__name__}) y se REVIRTIÓ por completo: la base de datos "
            "quedó exactamente como antes. Corrija el problema y ejecute de nuevo el mismo "
            f"comando (corrida n.º {rolled.run_id})."
        )
    mode = "SIMULACIÓN (--dry-run): no se cambió nada. " if summary.dry_run else ""
    typer.echo(
        f"{mode}Filas leídas: {summary.rows_read} · válidas: {summary.rows_valid} · "
        f"cambiadas: {summary.rows_changed} · con error: {summary.rows_failed}"
    )
    for row_error in summary.first_errors[:10]:
        typer.echo(f"  línea {row_error.line}, columna {row_error.column}: {row_error.reason}")
    typer.echo(f"Informe de errores: {summary.errors_path}")
    typer.echo(f"Resumen: {summary.summary_path}")


@import_app.command("events")
def import_events_command(
    path: Annotated[Path, typer.Argument(help="archivo CSV (ver docs/registry-csv.md)")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="solo valida")] = False,
) -> None:
    """Imports parish events (all or nothing; already imported events are skipped)."""
    settings = load_settings()
    _plans(settings.database_url, path, dry_run, "eventos")


@import_app.command("commitments")
def import_commitments_command(
    path: Annotated[Path, typer.Argument(help="archivo CSV (ver docs/registry-csv.md)")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="solo valida")] = False,
) -> None:
    """Imports dialogue commitments (all or nothing; already imported rows are skipped)."""
    settings = load_settings()
    _plans(settings.database_url, path, dry_run, "compromisos")


def _plans(database_url: str, path: Path, dry_run: bool, kind: str) -> None:
    async def go() -> tuple[int, int]:
        engine = create_engine(database_url)
        try:
            importer = import_events if kind == "eventos" else import_commitments
            return await importer(engine, path, now=utc_now(), dry_run=dry_run)
        finally:
            await engine.dispose()

    try:
        added, skipped = asyncio.run(go())
    except ImportFileError as error:
        fail(f"No se importó nada: {error}")
    except PlanImportError as error:
        typer.echo("No se importó nada (todo o nada); corrija estas filas:", err=True)
        for row_error in error.errors[:50]:
            typer.echo(
                f"  línea {row_error.line}, columna {row_error.column}: {row_error.reason}",
                err=True,
            )
        raise typer.Exit(2) from None
    prefix = "SIMULACIÓN (--dry-run): " if dry_run else ""
    typer.echo(f"{prefix}{kind} nuevos: {added} · ya existentes (omitidos): {skipped}")
