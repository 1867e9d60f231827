"""`dialogues` commands: staff open and close dialogue sessions and keep the commitments matrix."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import fail, load_settings
from bot.cli.staff_scope import cli_scope
from bot.domain.dialogue import COMMITMENT_STATUSES, PERMANENT
from bot.domain.errors import DomainError
from bot.domain.staff import StaffScope
from bot.runtime.composition import build_services
from bot.services import commitments, dialogues
from bot.services.container import Services
from bot.services.reports import deadline_text

dialogues_app = typer.Typer(
    help="Diálogos Ciudadanos: sesiones y matriz de compromisos.", no_args_is_help=True
)

T = TypeVar("T")
StaffOption = Annotated[
    int | None,
    typer.Option("--staff-id", help="cuenta de personal que actúa (por defecto: operador)"),
]


def run_scoped(
    staff_id: int | None, action: Callable[[Services, AsyncSession, StaffScope], Awaitable[T]]
) -> T:
    """Runs `action` in one transaction with the staff scope; domain errors become one line."""

    async def main() -> T:
        services = await build_services(load_settings())
        try:
            async with services.session_factory() as session, session.begin():
                scope = await cli_scope(session, staff_id)
                return await action(services, session, scope)
        finally:
            await services.close()

    try:
        return asyncio.run(main())
    except DomainError as error:
        fail(error.message)


def _parish_code(services: Services, text: str) -> str:
    """A parish code from a code or a name; ambiguous or unknown names fail with candidates."""
    text = text.strip()
    if text.isdigit() and services.territory.get(text) is not None:
        return text
    match = services.territory.find(text, kinds=("parish",))
    if len(match.places) == 1:
        return match.places[0].code
    candidates = match.places or match.suggestions
    listed = "; ".join(f"{p.code} {p.label}" for p in candidates) or "ninguna parecida"
    fail(f"Parroquia «{text}» no encontrada o ambigua. Candidatas: {listed}.")


def _deadline(text: str) -> date | None:
    if text.strip().casefold() == PERMANENT.casefold():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        fail(f"Plazo no válido: «{text}». Use AAAA-MM-DD o {PERMANENT}.")


@dialogues_app.command("open")
def open_command(
    parish: Annotated[str, typer.Option(help="parroquia: nombre o código INEC")],
    title: Annotated[str, typer.Option(help="p. ej. «Diálogo Ciudadano Tacamoros 2024-11-21»")],
    held_on: Annotated[str | None, typer.Option(help="fecha del diálogo, AAAA-MM-DD")] = None,
    event: Annotated[int | None, typer.Option(help="evento (brigada) donde se realizó")] = None,
    staff_id: StaffOption = None,
) -> None:
    """Opens a dialogue session: citizens' answers in that parish belong to it until closed."""
    day = _deadline(held_on) if held_on else None

    async def action(services: Services, session: AsyncSession, scope: StaffScope) -> str:
        code = _parish_code(services, parish)
        view = await dialogues.open_session(
            session,
            scope,
            parish_code=code,
            title=title,
            held_on=day,
            now=services.clock(),
            event_id=event,
        )
        return f"Diálogo {view.id} abierto: {view.title} (parroquia {code})."

    typer.echo(run_scoped(staff_id, action))


@dialogues_app.command("close")
def close_command(session_id: int, staff_id: StaffOption = None) -> None:
    """Closes a dialogue session."""

    async def action(services: Services, session: AsyncSession, scope: StaffScope) -> str:
        view = await dialogues.close_session(session, scope, session_id, now=services.clock())
        return f"Diálogo {view.id} cerrado: {view.title}."

    typer.echo(run_scoped(staff_id, action))


@dialogues_app.command("add-commitment")
def add_commitment_command(
    session_id: int,
    proposal: Annotated[str, typer.Option(help="propuesta realizada en la mesa de diálogo")],
    citizens: Annotated[str, typer.Option(help="compromiso asumido por la ciudadanía")],
    institution: Annotated[str, typer.Option(help="compromiso asumido por la institución")],
    unit: Annotated[str, typer.Option(help="unidad responsable")],
    deadline: Annotated[str, typer.Option(help="AAAA-MM-DD o Permanente")] = PERMANENT,
    status: Annotated[str, typer.Option(help="pendiente, en_curso, cumplido, incumplido")] = (
        "pendiente"
    ),
    staff_id: StaffOption = None,
) -> None:
    """Adds a row to a dialogue's commitments matrix."""
    due = _deadline(deadline)

    async def action(services: Services, session: AsyncSession, scope: StaffScope) -> str:
        view = await commitments.add_commitment(
            session,
            scope,
            session_id=session_id,
            proposal=proposal,
            citizen_commitment=citizens,
            institution_commitment=institution,
            deadline=due,
            responsible_unit=unit,
            now=services.clock(),
            status=status,
        )
        return f"Compromiso {view.id} registrado (plazo: {deadline_text(view.deadline)})."

    typer.echo(run_scoped(staff_id, action))


@dialogues_app.command("commitment-status")
def commitment_status_command(
    commitment_id: int,
    status: Annotated[str, typer.Argument(help=", ".join(COMMITMENT_STATUSES))],
    note: Annotated[str, typer.Option(help="nota de seguimiento")] = "",
    staff_id: StaffOption = None,
) -> None:
    """Changes a commitment's status (a dated update) and notifies the parish's subscribers."""

    async def action(services: Services, session: AsyncSession, scope: StaffScope) -> str:
        change = await commitments.change_commitment_status(
            session,
            scope,
            commitment_id,
            status,
            now=services.clock(),
            note=note,
            ministry=services.settings.ministry_name,
        )
        return (
            f"Compromiso {commitment_id}: {change.previous} → {change.commitment.status}; "
            f"avisos en cola: {change.notices}."
        )

    typer.echo(run_scoped(staff_id, action))


@dialogues_app.command("commitments")
def commitments_command(session_id: int, staff_id: StaffOption = None) -> None:
    """Lists a dialogue's commitments with their status."""

    async def action(services: Services, session: AsyncSession, scope: StaffScope) -> str:
        rows = await commitments.session_commitments(session, session_id)
        if not rows:
            return f"El diálogo {session_id} no tiene compromisos."
        return "\n".join(
            f"{r.id}\t{r.status}\t{deadline_text(r.deadline)}\t{r.proposal}" for r in rows
        )

    typer.echo(run_scoped(staff_id, action))
