"""Event attendance as the district reports record it: participants, and attentions per service.

The Tacamoros brigade report (seed 000) counts 200 participants, then the attentions of each
institution: the ministry's own services (20 children in Desarrollo Infantil's activities, 15
people at the Balcón de Servicios, 40 sensitised in nutrition, 50 informed of Envejeciendo
Juntos, Protección Especial and Discapacidades) and the other institutions' (MSP 12, BanEcuador
17, Ministerio de Educación 8, MAG 10). Staff record each figure once per (event, institution,
service); recording it again corrects it. Past events (a brigade already held) are recorded
with `record_held_event`, since new events must lie in the future.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import N_, DomainError
from bot.domain.event_kinds import EVENT_KIND_LABELS
from bot.domain.staff import StaffScope
from bot.services.audit import record
from bot.services.authz import Action
from bot.services.technicians import authorize_parish
from bot.storage.models import Event, EventAttendance, Parish

MAX_PEOPLE = 100_000
OWN_INSTITUTIONS = ("MIES", "MDH")


class AttendanceError(DomainError):
    """Attendance that cannot be recorded as given."""


@dataclass(frozen=True)
class AttendanceLine:
    """One institution's service at an event and how many people it attended."""

    institution: str
    service: str
    people: int
    detail: str


@dataclass(frozen=True)
class EventAttendanceView:
    """An event with its participants and attention lines, for reports and exports."""

    event_id: int
    title: str
    kind: str
    parish_code: str
    held_on: date
    place: str
    participants: int | None
    lines: tuple[AttendanceLine, ...]


def _people(value: int) -> int:
    if not 0 <= value <= MAX_PEOPLE:
        raise AttendanceError(
            N_("El número de personas debe estar entre 0 y {max}."), max=MAX_PEOPLE
        )
    return value


async def _event(session: AsyncSession, event_id: int) -> Event:
    event = await session.get(Event, event_id)
    if event is None:
        raise AttendanceError(N_("No existe el evento {id}."), id=event_id)
    return event


async def record_held_event(
    session: AsyncSession,
    scope: StaffScope | None,
    *,
    kind: str,
    parish_code: str,
    held_on: date,
    title: str,
    place: str,
    participants: int | None,
    now: datetime,
    zone: ZoneInfo,
) -> Event:
    """Records an event already held (no announcements: it is past), with its participants."""
    allowed, _assigned = await authorize_parish(
        session, scope, Action.RECORD_ATTENDANCE, parish_code, now
    )
    if kind not in EVENT_KIND_LABELS:
        raise AttendanceError(N_("Tipo de evento desconocido: {kind}."), kind=kind)
    if await session.get(Parish, parish_code) is None:
        raise AttendanceError(N_("No existe la parroquia {code}."), code=parish_code)
    starts_at = datetime.combine(held_on, time(9, 0), zone)
    if starts_at > now:
        raise AttendanceError(N_("Ese evento aún no se ha realizado: créelo con /evento."))
    event = Event(
        kind=kind,
        title=" ".join(title.split())[:160] or EVENT_KIND_LABELS[kind],
        parish_code=parish_code,
        starts_at=starts_at,
        place=" ".join(place.split())[:200],
        description="",
        reminder_offsets_minutes=[],
        created_by=allowed.staff_id or None,
        cancelled_at=None,
        created_at=now,
        participants=None if participants is None else _people(participants),
    )
    session.add(event)
    await session.flush()
    await record(
        session,
        at=now,
        actor_kind="staff",
        actor=f"staff:{allowed.staff_id}",
        action="event.recorded_held",
        target=f"event:{event.id}",
        outcome="ok",
    )
    return event


async def set_participants(
    session: AsyncSession,
    scope: StaffScope | None,
    *,
    event_id: int,
    participants: int,
    now: datetime,
) -> Event:
    """Records how many people took part in an event."""
    event = await _event(session, event_id)
    await authorize_parish(session, scope, Action.RECORD_ATTENDANCE, event.parish_code, now)
    event.participants = _people(participants)
    return event


async def record_attendance(
    session: AsyncSession,
    scope: StaffScope | None,
    *,
    event_id: int,
    institution: str,
    service: str,
    people: int,
    detail: str = "",
    now: datetime,
) -> EventAttendance:
    """Records (or corrects) the people one institution's service attended at an event."""
    event = await _event(session, event_id)
    allowed, _assigned = await authorize_parish(
        session, scope, Action.RECORD_ATTENDANCE, event.parish_code, now
    )
    institution = " ".join(institution.split())[:80]
    service = " ".join(service.split())[:120]
    if not institution:
        raise AttendanceError(N_("Indique la institución (por ejemplo MIES o MSP)."))
    row = await session.scalar(
        select(EventAttendance).where(
            EventAttendance.event_id == event_id,
            EventAttendance.institution == institution,
            EventAttendance.service == service,
        )
    )
    if row is None:
        row = EventAttendance(event_id=event_id, institution=institution, service=service)
        session.add(row)
    row.people = _people(people)
    row.detail = " ".join(detail.split())[:1000]
    row.staff_id = allowed.staff_id or None
    row.recorded_at = now
    await session.flush()
    await record(
        session,
        at=now,
        actor_kind="staff",
        actor=f"staff:{allowed.staff_id}",
        action="event.attendance",
        target=f"event:{event_id}",
        outcome="ok",
        detail={"institution": institution, "people": row.people},
    )
    return row


async def attendance_of(
    session: AsyncSession, events: Sequence[Event], zone: ZoneInfo
) -> list[EventAttendanceView]:
    """The attendance of `events`, in their order; events with nothing recorded are left out."""
    ids = [e.id for e in events]
    if not ids:
        return []
    rows = await session.scalars(
        select(EventAttendance)
        .where(EventAttendance.event_id.in_(ids))
        .order_by(EventAttendance.event_id, EventAttendance.id)
    )
    lines: dict[int, list[AttendanceLine]] = {}
    for row in rows:
        lines.setdefault(row.event_id, []).append(
            AttendanceLine(row.institution, row.service, row.people, row.detail)
        )
    return [
        EventAttendanceView(
            event_id=e.id,
            title=e.title,
            kind=e.kind,
            parish_code=e.parish_code,
            held_on=e.starts_at.astimezone(zone).date(),
            place=e.place,
            participants=e.participants,
            lines=tuple(lines.get(e.id, ())),
        )
        for e in events
        if e.participants is not None or e.id in lines
    ]


def _line_text(line: AttendanceLine) -> str:
    return (
        f"{line.people} {line.detail}".strip() if line.detail else f"{line.people} {line.service}"
    )


def summary_lines(view: EventAttendanceView, ministry: str = "MIES") -> list[str]:
    """The attendance in the seed report's words: participants, the ministry's services, then
    one line per other institution."""
    lines = []
    if view.participants is not None:
        lines.append(f"Participación: {view.participants} ciudadanos.")
    own = [
        line
        for line in view.lines
        if line.institution.upper() in (*OWN_INSTITUTIONS, ministry.upper())
    ]
    if own:
        lines.append(
            f"Los servicios {ministry}, atendieron a: "
            + ", ".join(_line_text(x) for x in own)
            + "."
        )
    others: dict[str, list[AttendanceLine]] = {}
    for line in view.lines:
        if line not in own:
            others.setdefault(line.institution, []).append(line)
    for institution, group in others.items():
        lines.append(f"{institution}, " + ", ".join(_line_text(x) for x in group) + ".")
    return lines
