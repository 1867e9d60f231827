"""`export` commands: delivery report, audit log and dialogue matrices as CSV or XLSX."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import fail
from bot.cli.dialogues import StaffOption, run_scoped
from bot.cli.reports import export_command
from bot.domain.staff import StaffScope
from bot.services.container import Services
from bot.services.exports import FORMATS, Period, export_audit, export_delivery

export_app = typer.Typer(
    help="Exportaciones: entregas de mensajes, registro de auditoría, matrices de diálogos.",
    no_args_is_help=True,
)
# The dialogue matrices are also here, so every export lives under one command.
export_app.command("dialogues", help="Matrices de los Diálogos Ciudadanos (= reports export).")(
    export_command
)

OutOption = Annotated[Path, typer.Option(help="carpeta donde se escribe el archivo")]
FormatOption = Annotated[str, typer.Option("--format", help="csv o xlsx")]
SinceOption = Annotated[str | None, typer.Option(help="desde (AAAA-MM-DD, hora local)")]
UntilOption = Annotated[str | None, typer.Option(help="hasta (AAAA-MM-DD, incluido)")]


def _day(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"Fecha no válida en --{name}: «{text}». Use AAAA-MM-DD.")


def _period(services: Services, since: date | None, until: date | None) -> Period:
    zone = services.settings.timezone
    return Period(
        since=None if since is None else datetime.combine(since, time.min, zone),
        until=None
        if until is None
        else datetime.combine(until + timedelta(days=1), time.min, zone),
    )


def _check(fmt: str, since: str | None, until: str | None) -> tuple[date | None, date | None]:
    if fmt not in FORMATS:
        fail(f"Formato desconocido: {fmt}. Use csv o xlsx.")
    start, end = _day(since, "since"), _day(until, "until")
    if start and end and start > end:
        fail("--since es posterior a --until.")
    return start, end


def _stem(name: str, start: date | None, end: date | None) -> str:
    if start is None and end is None:
        return name
    return f"{name}_{start.isoformat() if start else 'inicio'}_{end.isoformat() if end else 'hoy'}"


@export_app.command("delivery")
def delivery_command(
    out: OutOption,
    fmt: FormatOption = "xlsx",
    since: SinceOption = None,
    until: UntilOption = None,
    kind: Annotated[
        str | None, typer.Option(help="solo un tipo (broadcast, event_announcement, caso…)")
    ] = None,
    broadcast: Annotated[int | None, typer.Option(help="solo los mensajes de una difusión")] = None,
    full: Annotated[
        bool, typer.Option("--full", help="números completos (solo administración nacional)")
    ] = False,
    staff_id: StaffOption = None,
) -> None:
    """Exports the delivery report: each message's status, provider status and attempts."""
    start, end = _check(fmt, since, until)
    path = out / f"{_stem('entregas', start, end)}.{fmt}"

    async def action(services: Services, session: AsyncSession, scope: StaffScope) -> str:
        count = await export_delivery(
            session,
            scope,
            path,
            fmt,
            now=services.clock(),
            period=_period(services, start, end),
            full=full,
            kind=kind,
            broadcast_id=broadcast,
        )
        masked = "" if full else " (números enmascarados; --full para verlos completos)"
        return f"{count} mensajes exportados{masked}.\n{path}"

    typer.echo(run_scoped(staff_id, action))


@export_app.command("audit")
def audit_command(
    out: OutOption,
    fmt: FormatOption = "xlsx",
    since: SinceOption = None,
    until: UntilOption = None,
    action_prefix: Annotated[
        str | None, typer.Option("--action", help="solo acciones que empiezan así (staff., case_…)")
    ] = None,
    staff_id: StaffOption = None,
) -> None:
    """Exports the audit log (actors pseudonymised)."""
    start, end = _check(fmt, since, until)
    path = out / f"{_stem('auditoria', start, end)}.{fmt}"

    async def action(services: Services, session: AsyncSession, scope: StaffScope) -> str:
        count = await export_audit(
            session,
            scope,
            path,
            fmt,
            now=services.clock(),
            period=_period(services, start, end),
            action=action_prefix,
        )
        return f"{count} entradas de auditoría exportadas.\n{path}"

    typer.echo(run_scoped(staff_id, action))
