"""Parish events: what is coming to a parish, and staff creating one (authorised, audited)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import N_, DomainError
from bot.domain.event_kinds import EVENT_KIND_LABELS, EVENT_KINDS
from bot.domain.event_schedule import DEFAULT_OFFSETS_MINUTES, MAX_OFFSET_MINUTES, MAX_OFFSETS
from bot.domain.staff import StaffScope
from bot.services.audit import record
from bot.services.authz import Action, authorize
from bot.services.dialogues import district_of_parish
from bot.storage.models import Event, OutboxMessage, Parish
from notificaciones.jobs import materialise_event_announcements

if TYPE_CHECKING:
    from bot.config import Settings

MAX_PLACE_CHARS = 200
MAX_DESCRIPTION_CHARS = 1000


class EventError(DomainError):
    """An event that cannot be created as asked."""


async def upcoming_events(
    session: AsyncSession,
    parish_code: str,
    now: datetime,
    *,
    kind: str | None = None,
    limit: int = 5,
) -> list[Event]:
    """Returns the parish's next events (not cancelled), soonest first."""
    query = (
        select(Event)
        .where(
            Event.parish_code == parish_code, Event.starts_at >= now, Event.cancelled_at.is_(None)
        )
        .order_by(Event.starts_at)
        .limit(limit)
    )
    if kind is not None:
        query = query.where(Event.kind == kind)
    return list(await session.scalars(query))


async def authorize_parish(
    session: AsyncSession, scope: StaffScope | None, parish_code: str, now: datetime
) -> StaffScope:
    """Allows creating events in `parish_code` only inside the staff member's territory."""
    district = await district_of_parish(session, parish_code)
    return await authorize(session, scope, Action.CREATE_EVENT, now=now, district_code=district)


async def create_event(
    session: AsyncSession,
    scope: StaffScope | None,
    *,
    kind: str,
    parish_code: str,
    starts_at: datetime,
    place: str,
    description: str,
    offsets_minutes: tuple[int, ...] = DEFAULT_OFFSETS_MINUTES,
    now: datetime,
) -> Event:
    """Authorises, validates and stores an event; its announcements follow from the table."""
    allowed = await authorize_parish(session, scope, parish_code, now)
    if kind not in EVENT_KINDS:
        raise EventError(N_("Tipo de evento desconocido: {kind}."), kind=kind)
    parish = await session.get(Parish, parish_code)
    if parish is None:
        raise EventError(N_("No existe la parroquia {code}."), code=parish_code)
    if starts_at.tzinfo is None or starts_at <= now:
        raise EventError(N_("El evento debe ser en el futuro."))
    where = " ".join(place.split())
    if not where or len(where) > MAX_PLACE_CHARS:
        raise EventError(N_("Indique el lugar (hasta {limit} caracteres)."), limit=MAX_PLACE_CHARS)
    text = description.strip()
    if len(text) > MAX_DESCRIPTION_CHARS:
        raise EventError(
            N_("La descripción tiene {count} caracteres; el máximo es {limit}."),
            count=len(text),
            limit=MAX_DESCRIPTION_CHARS,
        )
    offsets = sorted({int(o) for o in offsets_minutes}, reverse=True)
    if (
        not offsets
        or len(offsets) > MAX_OFFSETS
        or not all(0 < o <= MAX_OFFSET_MINUTES for o in offsets)
    ):
        raise EventError(
            N_("Los avisos deben ser entre 1 y {limit}, hasta 30 días antes."), limit=MAX_OFFSETS
        )
    event = Event(
        kind=kind,
        title=f"{EVENT_KIND_LABELS[kind]} en {parish.name}"[:160],
        parish_code=parish_code,
        starts_at=starts_at,
        place=where,
        description=text,
        reminder_offsets_minutes=offsets,
        created_by=allowed.staff_id or None,
        cancelled_at=None,
        created_at=now,
    )
    session.add(event)
    await session.flush()
    await record(
        session,
        at=now,
        actor_kind="staff",
        actor=f"staff:{allowed.staff_id}",
        action="event.created",
        target=f"event:{event.id}",
        outcome="ok",
        detail={"kind": kind, "parish": parish_code, "offsets": offsets},
    )
    return event


async def queue_announcements(
    session: AsyncSession, settings: Settings, event: Event, now: datetime
) -> int:
    """Runs the scheduler's announcement job now; returns the outbox rows this event has.

    The job is idempotent (dedupe keys), so the next scheduler tick adds nothing more; events
    beyond its horizon are announced by a later tick.
    """
    await materialise_event_announcements(session, settings, now)
    return int(
        await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.dedupe_key.like(f"event:{event.id}:%"))
        )
        or 0
    )


async def schedule_event(
    session: AsyncSession,
    settings: Settings,
    scope: StaffScope | None,
    *,
    kind: str,
    parish_code: str,
    starts_at: datetime,
    place: str,
    description: str,
    offsets_minutes: tuple[int, ...] = DEFAULT_OFFSETS_MINUTES,
    now: datetime,
) -> tuple[Event, int]:
    """The staff step's one call: stores the event (audited) and queues its announcements now.

    Returns the event and how many outbox rows it has.
    """
    event = await create_event(
        session,
        scope,
        kind=kind,
        parish_code=parish_code,
        starts_at=starts_at,
        place=place,
        description=description,
        offsets_minutes=offsets_minutes,
        now=now,
    )
    return event, await queue_announcements(session, settings, event, now)
