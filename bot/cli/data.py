"""`data` commands: reference data and the demo data set."""

from __future__ import annotations

import asyncio

import typer

from bot.cli.common import load_settings
from bot.domain.clock import utc_now
from bot.storage.db import create_engine, create_session_factory
from bot.storage.demo_data import load_demo_data
from bot.storage.reference_data import ReferenceCounts, load_reference_data

data_app = typer.Typer(help="Datos de referencia y de demostración.", no_args_is_help=True)


async def _load(database_url: str, demo: bool) -> tuple[ReferenceCounts, int]:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            counts = await load_reference_data(session)
            added = await load_demo_data(session, utc_now()) if demo else 0
        return counts, added
    finally:
        await engine.dispose()


@data_app.command("load")
def data_load(
    demo: bool = typer.Option(False, help="también carga los datos de demostración"),
) -> None:
    """Loads provinces, cantons, parishes, zones and district directorates (idempotent)."""
    settings = load_settings()
    counts, added = asyncio.run(_load(settings.database_url, demo))
    typer.echo(
        f"Provincias: {counts.provinces} · Cantones: {counts.cantons} · "
        f"Parroquias: {counts.parishes} · "
        f"Zonas: {counts.zones} · Direcciones distritales: {counts.districts} · "
        f"Cantones con distrito asignado: {counts.mapped_cantons}"
    )
    if demo:
        typer.echo(f"Datos de demostración añadidos: {added} filas.")
