"""`acompanamiento` and `asistencia` commands: technicians' families, field lists, attendance."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import fail
from bot.cli.dialogues import StaffOption, _parish_code, run_scoped
from bot.domain.staff import StaffScope
from bot.i18n import translator
from bot.services import attendance, field_lists, technicians
from bot.services.container import Services
from notificaciones.condition_reminders import TOPIC_CONDITIONS

acompanamiento_app = typer.Typer(
    help="Acompañamiento Familiar: técnicos, familias, visitas y listas de campo.",
    no_args_is_help=True,
)
attendance_app = typer.Typer(
    help="Asistencia a eventos: participantes y atenciones por institución y servicio.",
    no_args_is_help=True,
)


def _moment(services: Services, text: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"Fecha y hora no válidas en --{name}: «{text}». Use AAAA-MM-DD HH:MM.")
    return value if value.tzinfo else value.replace(tzinfo=services.settings.timezone)


@acompanamiento_app.command("asignar")
def assign_command(
    tecnico: Annotated[int, typer.Option(help="cuenta de personal del técnico")],
    parish: Annotated[str, typer.Option(help="parroquia: nombre o código INEC")],
    cedula: Annotated[
        str | None, typer.Option(help="una familia (si no: toda la parroquia)")
    ] = None,
    staff_id: StaffOption = None,
) -> None:
    """Assigns a parish, or one family of it, to a técnico de acompañamiento familiar."""

    async def action(services: Services, session: AsyncSession, scope: StaffScope) -> str:
        code = _parish_code(services, parish)
        await technicians.assign(
            session,
            scope,
            technician_id=tecnico,
            parish_code=code,
            cedula=cedula,
            now=services.clock(),
        )
        what = "la familia" if cedula else "la parroquia"
        return f"Asignada {what} de {code} al técnico {tecnico}."

    typer.echo(run_scoped(staff_id, action))


@acompanamiento_app.command("familias")
def families_command(
    parish: Annotated[str, typer.Option(help="parroquia: nombre o código INEC")],
    staff_id: StaffOption = None,
) -> None:
    """Lists the parish's families with pending conditions, suspensions and next visits."""

    async def action(services: Services, session: AsyncSession, scope: StaffScope) -> str:
        code = _parish_code(services, parish)
        rows = await technicians.families(session, scope, code, now=services.clock())
        lines = [f"{len(rows)} familias en {code}:"]
        for row in rows:
            pending = ", ".join(
                f"{c.condition.value} {c.due_on.isoformat() if c.due_on else 'sin fecha'}"
                for c in row.conditions
            )
            visit = (
                row.next_visit.window_start.astimezone(services.settings.timezone).strftime(
                    "%Y-%m-%d %H:%M"
                )
                if row.next_visit
                else "-"
            )
            lines.append(f"{row.names} · pendiente: {pending or '-'} · visita: {visit}")
        return "\n".join(lines)

    typer.echo(run_scoped(staff_id, action))


@acompanamiento_app.command("lista")
def field_list_command(
    out: Annotated[Path, typer.Option(help="archivo PDF a escribir")],
    parish: Annotated[str | None, typer.Option(help="parroquia: nombre o código INEC")] = None,
    tecnico: Annotated[int | None, typer.Option(help="cuenta de personal del técnico")] = None,
    staff_id: StaffOption = None,
) -> None:
    """Writes the printable field list (PDF) of a parish or of a technician."""
    if (parish is None) == (tecnico is None):
        fail("Indique --parish o --tecnico (uno de los dos).")

    async def action(services: Services, session: AsyncSession, scope: StaffScope) -> str:
        zone = services.settings.timezone
        now = services.clock()
        if tecnico is not None:
            data = await field_lists.technician_field_list(
                session, scope, tecnico, now=now, zone=zone
            )
        else:
            assert parish is not None
            code = _parish_code(services, parish)
            data = await field_lists.parish_field_list(session, scope, code, now=now, zone=zone)
        pdf = field_lists.render_pdf(
            data, translator(services.settings.default_locale), services.settings.ministry_name
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(pdf)
        families = sum(len(s.families) for s in data.sections)
        return f"{out}: {len(data.sections)} parroquias, {families} familias."

    typer.echo(run_scoped(staff_id, action))


@acompanamiento_app.command("informado")
def informed_command(
    cedula: Annotated[str, typer.Option(help="cédula de la familia en el registro")],
    tema: Annotated[str, typer.Option(help="evento, compromiso, condicion, visita o general")],
    ref: Annotated[str | None, typer.Option(help="p. ej. event:12 o condition:matricula")] = None,
    staff_id: StaffOption = None,
) -> None:
    """Records that the family was informed in person."""

    async def action(services: Services, session: AsyncSession, scope: StaffScope) -> str:
        await technicians.record_informed(
            session, scope, cedula=cedula, topic=tema, ref=ref, now=services.clock()
        )
        return "Registrado: familia informada en persona."

    typer.echo(run_scoped(staff_id, action))


@acompanamiento_app.command("visita")
def visit_command(
    cedula: Annotated[str, typer.Option(help="cédula de la familia en el registro")],
    desde: Annotated[str, typer.Option(help="inicio de la franja, AAAA-MM-DD HH:MM (local)")],
    hasta: Annotated[str, typer.Option(help="fin de la franja, AAAA-MM-DD HH:MM (local)")],
    staff_id: StaffOption = None,
) -> None:
    """Plans a home visit; a family that consented gets a reminder the day before."""

    async def action(services: Services, session: AsyncSession, scope: StaffScope) -> str:
        visit = await technicians.plan_visit(
            session,
            scope,
            cedula=cedula,
            window_start=_moment(services, desde, "desde"),
            window_end=_moment(services, hasta, "hasta"),
            now=services.clock(),
        )
        return f"Visita {visit.id} planificada."

    typer.echo(run_scoped(staff_id, action))


@acompanamiento_app.command("consentimiento")
def consent_command(
    cedula: Annotated[str, typer.Option(help="cédula de la familia en el registro")],
    tema: Annotated[str, typer.Option(help="corresponsabilidad o visita")] = TOPIC_CONDITIONS,
    staff_id: StaffOption = None,
) -> None:
    """Records in person the family's consent to SMS reminders at the registry's phone."""

    async def action(services: Services, session: AsyncSession, scope: StaffScope) -> str:
        await technicians.record_consent(
            session, scope, cedula=cedula, topic=tema, now=services.clock()
        )
        return "Consentimiento registrado."

    typer.echo(run_scoped(staff_id, action))


@attendance_app.command("evento-realizado")
def held_event_command(
    parish: Annotated[str, typer.Option(help="parroquia: nombre o código INEC")],
    kind: Annotated[str, typer.Option(help="brigada_social, dialogo_ciudadano, feria, …")],
    held_on: Annotated[str, typer.Option(help="fecha, AAAA-MM-DD")],
    title: Annotated[str, typer.Option(help="p. ej. «Brigada Social por el Nuevo Ecuador»")],
    place: Annotated[str, typer.Option(help="lugar")] = "",
    participants: Annotated[int | None, typer.Option(help="participantes")] = None,
    staff_id: StaffOption = None,
) -> None:
    """Records an event already held (e.g. the Tacamoros brigade of 21 Nov 2024)."""
    try:
        day = date.fromisoformat(held_on)
    except ValueError:
        fail(f"Fecha no válida: «{held_on}». Use AAAA-MM-DD.")

    async def action(services: Services, session: AsyncSession, scope: StaffScope) -> str:
        event = await attendance.record_held_event(
            session,
            scope,
            kind=kind,
            parish_code=_parish_code(services, parish),
            held_on=day,
            title=title,
            place=place,
            participants=participants,
            now=services.clock(),
            zone=services.settings.timezone,
        )
        return f"Evento {event.id} registrado."

    typer.echo(run_scoped(staff_id, action))


@attendance_app.command("registrar")
def record_command(
    event: Annotated[int, typer.Option(help="id del evento")],
    institution: Annotated[str, typer.Option(help="MIES, Ministerio de Salud Pública, …")],
    people: Annotated[int, typer.Option(help="personas atendidas")],
    service: Annotated[str, typer.Option(help="servicio, p. ej. Desarrollo Infantil")] = "",
    detail: Annotated[str, typer.Option(help="detalle como lo escribe el informe")] = "",
    staff_id: StaffOption = None,
) -> None:
    """Records (or corrects) the people one institution's service attended at an event."""

    async def action(services: Services, session: AsyncSession, scope: StaffScope) -> str:
        await attendance.record_attendance(
            session,
            scope,
            event_id=event,
            institution=institution,
            service=service,
            people=people,
            detail=detail,
            now=services.clock(),
        )
        return f"Registrado: {people} atenciones de {institution} en el evento {event}."

    typer.echo(run_scoped(staff_id, action))


@attendance_app.command("participantes")
def participants_command(
    event: Annotated[int, typer.Option(help="id del evento")],
    participants: Annotated[int, typer.Option(help="participantes")],
    staff_id: StaffOption = None,
) -> None:
    """Records how many people took part in an event."""

    async def action(services: Services, session: AsyncSession, scope: StaffScope) -> str:
        await attendance.set_participants(
            session, scope, event_id=event, participants=participants, now=services.clock()
        )
        return f"Evento {event}: {participants} participantes."

    typer.echo(run_scoped(staff_id, action))
