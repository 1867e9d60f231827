"""Idempotent scheduled work that reads the database: announcements and deadline reminders.

Each job may run any number of times (every tick, after a restart, from two processes): outbox
dedupe keys (`event:<id>:<offset>:<channel>:<address>`) make a second run add nothing. Texts are
written in each recipient's language, rendered once per language of the audience.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import translator
from bot.storage.conversation_retention import purge_expired_conversations
from bot.storage.models import Commitment, Event
from notificaciones import outbox_states
from notificaciones.audiences import (
    TOPIC_COMMITMENTS,
    TOPIC_EVENTS,
    Audience,
    audience_recipients,
    enqueue_to_recipients,
    group_by_locale,
)
from notificaciones.condition_reminders import materialise_visit_reminders
from notificaciones.time_zones import parish_zones

log = logging.getLogger(__name__)

DEFAULT_EVENT_OFFSETS_MINUTES = (10080, 1440)  # 7 days and 1 day before
COMMITMENT_REMINDER_DAYS = (7, 1)
ANNOUNCE_AT = time(9, 0)  # whole-day offsets are sent at 09:00 local
LATE_GRACE = timedelta(hours=12)  # a missed announcement is still sent if at most this late
HORIZON = timedelta(days=60)


@dataclass(frozen=True)
class JobReport:
    """Rows one pass of the jobs added or cancelled."""

    announcements: int = 0
    commitment_reminders: int = 0
    cancelled: int = 0
    conversations_purged: int = 0
    visit_reminders: int = 0


def announcement_time(starts_at: datetime, offset_minutes: int, zone: ZoneInfo) -> datetime:
    """When to announce: whole days before at 09:00 local, other offsets exactly before."""
    if offset_minutes % 1440 == 0:
        day: date = starts_at.astimezone(zone).date() - timedelta(days=offset_minutes // 1440)
        return datetime.combine(day, ANNOUNCE_AT, zone).astimezone(starts_at.tzinfo)
    return starts_at - timedelta(minutes=offset_minutes)


def event_text(event: Event, zone: ZoneInfo, settings: Settings, locale: str | None = None) -> str:
    """The announcement SMS of an event in `locale` (short: parishes with poor coverage)."""
    t = translator(locale or settings.default_locale)
    return t.t(
        "{ministry}: {title}. {when} en {place}. Responda EVENTOS para ver más.",
        ministry=settings.ministry_name,
        title=event.title,
        when=t.datetime(event.starts_at.astimezone(zone), t.pattern("weekday_date_time")),
        place=event.place,
    )


def commitment_text(commitment: Commitment, settings: Settings, locale: str | None = None) -> str:
    """The deadline reminder SMS of a commitment in `locale`."""
    assert commitment.deadline is not None
    t = translator(locale or settings.default_locale)
    what = commitment.institution_commitment.strip()
    return t.t(
        "{ministry}: el compromiso «{what}» vence el {day}. Responda AYUDA para saber más.",
        ministry=settings.ministry_name,
        what=what if len(what) <= 70 else what[:67].rstrip() + "...",
        day=t.date(commitment.deadline, t.pattern("day_month")),
    )


async def materialise_event_announcements(
    session: AsyncSession, settings: Settings, now: datetime
) -> int:
    """Queues each upcoming event's announcements for its parish's audience; returns rows added."""
    events = list(
        await session.scalars(
            select(Event)
            .where(
                Event.cancelled_at.is_(None),
                Event.starts_at > now,
                Event.starts_at <= now + HORIZON,
            )
            .order_by(Event.starts_at)
        )
    )
    zones = await parish_zones(session, {e.parish_code for e in events})
    added = 0
    for event in events:
        zone = zones.get(event.parish_code, settings.timezone)
        offsets = [
            int(o) for o in (event.reminder_offsets_minutes or DEFAULT_EVENT_OFFSETS_MINUTES)
        ]
        due_times = [(o, announcement_time(event.starts_at, o, zone)) for o in offsets]
        due_times = [(o, d) for o, d in due_times if d >= now - LATE_GRACE and d < event.starts_at]
        if not due_times:
            continue
        recipients, _ = await audience_recipients(
            session,
            Audience(
                parish_codes=(event.parish_code,),
                topic=TOPIC_EVENTS,
                channels=("sms", "telegram", "whatsapp"),
            ),
        )
        for locale, group in group_by_locale(recipients, settings.default_locale).items():
            body = event_text(event, zone, settings, locale)
            for offset, due in due_times:
                added += await enqueue_to_recipients(
                    session,
                    group,
                    body=body,
                    kind="event_announcement",
                    key_prefix=f"event:{event.id}:{offset}",
                    due_at=due,
                    now=now,
                    settings=settings,
                )
    return added


async def materialise_commitment_reminders(
    session: AsyncSession, settings: Settings, now: datetime
) -> int:
    """Queues reminders of open commitments' deadlines to the parish's subscribers."""
    today = now.astimezone(settings.timezone).date()
    commitments = list(
        await session.scalars(
            select(Commitment).where(
                Commitment.permanent.is_(False),
                Commitment.deadline.is_not(None),
                Commitment.deadline >= today,
                Commitment.deadline <= today + timedelta(days=max(COMMITMENT_REMINDER_DAYS) + 1),
                Commitment.status.not_in(("cumplido", "cancelado")),
            )
        )
    )
    zones = await parish_zones(session, {c.parish_code for c in commitments})
    added = 0
    for commitment in commitments:
        assert commitment.deadline is not None
        zone = zones.get(commitment.parish_code, settings.timezone)
        dues = [
            (days, datetime.combine(commitment.deadline - timedelta(days=days), ANNOUNCE_AT, zone))
            for days in COMMITMENT_REMINDER_DAYS
        ]
        dues = [(days, due) for days, due in dues if due >= now - LATE_GRACE]
        if not dues:
            continue
        recipients, _ = await audience_recipients(
            session,
            Audience(
                parish_codes=(commitment.parish_code,),
                topic=TOPIC_COMMITMENTS,
                channels=("sms", "telegram", "whatsapp"),
            ),
        )
        for locale, group in group_by_locale(recipients, settings.default_locale).items():
            body = commitment_text(commitment, settings, locale)
            for days, due in dues:
                added += await enqueue_to_recipients(
                    session,
                    group,
                    body=body,
                    kind="commitment_reminder",
                    key_prefix=f"commitment:{commitment.id}:{days}d",
                    due_at=due,
                    now=now,
                    settings=settings,
                )
    return added


async def cancel_for_cancelled_events(session: AsyncSession, now: datetime) -> int:
    """Stops queued announcements of events that were cancelled."""
    cancelled_ids = list(
        await session.scalars(
            select(Event.id).where(Event.cancelled_at.is_not(None), Event.starts_at > now)
        )
    )
    total = 0
    for event_id in cancelled_ids:
        total += await outbox_states.cancel_keyed(
            session, f"event:{event_id}:", now=now, reason="event cancelled"
        )
    return total


async def run_jobs(session: AsyncSession, settings: Settings, now: datetime) -> JobReport:
    """Runs every materialising job once in one transaction."""
    report = JobReport(
        announcements=await materialise_event_announcements(session, settings, now),
        commitment_reminders=await materialise_commitment_reminders(session, settings, now),
        cancelled=await cancel_for_cancelled_events(session, now),
        # Conversations left half-way keep nothing personal once they expire (LOPDP).
        conversations_purged=await purge_expired_conversations(session, now),
        # Home visits are few and near: every tick. Corresponsabilidad reminders scan the
        # registry, so the scheduler runs them hourly (`NotificationScheduler.tick_conditions`).
        visit_reminders=await materialise_visit_reminders(session, settings, now),
    )
    if report.announcements or report.commitment_reminders or report.cancelled:
        log.info(
            "Jobs queued %s announcements, %s reminders; cancelled %s",
            report.announcements,
            report.commitment_reminders,
            report.cancelled,
        )
    return report
