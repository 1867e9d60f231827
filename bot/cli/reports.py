"""`reports` commands: the Diálogo Ciudadano matrices as CSV or XLSX."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import fail
from bot.cli.dialogues import StaffOption, run_scoped
from bot.domain.staff import StaffScope
from bot.services import reports
from bot.services.container import Services

reports_app = typer.Typer(help="Reportes de los Diálogos Ciudadanos.", no_args_is_help=True)


def _day(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"Fecha no válida en --{name}: «{text}». Use AAAA-MM-DD.")


@reports_app.command("export")
def export_command(
    out: Annotated[Path, typer.Option(help="carpeta donde se escriben los archivos")],
    dialogue: Annotated[int | None, typer.Option(help="id del diálogo a exportar")] = None,
    since: Annotated[str | None, typer.Option(help="desde (AAAA-MM-DD, hora local)")] = None,
    until: Annotated[str | None, typer.Option(help="hasta (AAAA-MM-DD, incluido)")] = None,
    territory: Annotated[
        str, typer.Option(help="parroquia, cantón, provincia, distrito (11D06) o zona")
    ] = "",
    fmt: Annotated[str, typer.Option("--format", help="csv o xlsx")] = "xlsx",
    staff_id: StaffOption = None,
) -> None:
    """Exports the alerts and commitments matrices and the counts per parish and question."""
    if fmt not in ("csv", "xlsx"):
        fail(f"Formato desconocido: {fmt}. Use csv o xlsx.")
    start, end = _day(since, "since"), _day(until, "until")
    if dialogue is None and (start is None or end is None):
        fail("Indique --dialogue ID, o un periodo con --since y --until.")
    if dialogue is not None and (start or end or territory):
        fail("Use --dialogue solo, o bien --since/--until con --territory.")
    if start and end and start > end:
        fail("--since es posterior a --until.")

    async def action(services: Services, session: AsyncSession, scope: StaffScope) -> str:
        if dialogue is not None:
            data = await reports.dialogue_report(session, scope, dialogue)
            stem = f"dialogo_{dialogue}"
        else:
            assert start is not None and end is not None
            data = await reports.period_report(
                session,
                scope,
                since=start,
                until=end,
                territory_code=territory,
                tz=services.settings.timezone,
            )
            label = territory.strip().upper() or "nacional"
            stem = f"dialogos_{label}_{start.isoformat()}_{end.isoformat()}"
        paths = reports.export(data, out, stem, fmt, services.settings.ministry_name)
        return "\n".join(
            [
                f"{data.title}: {len(data.answers)} respuestas, "
                f"{len(data.commitments)} compromisos, {len(data.parishes)} parroquias.",
                *(str(p) for p in paths),
            ]
        )

    typer.echo(run_scoped(staff_id, action))
