"""Reminders that prevent a suspension, and of a planned home visit: materialised into the outbox.

Corresponsabilidad: each household that consented (`reminder_consents`, topic
`corresponsabilidad`) gets one short reminder per pending condition of the registry
(`beneficiaries.pending_conditions`) `reminder_days` before its due date (30 and 7 days,
`bot/data/corresponsabilidad.toml`), at 09:00 in the parish's time zone, moved out of quiet
hours, in the language of the address, on the channel it consented on. The dedupe key
`corresp:<consent>:<condition>:<due date>:<days>d` makes every run after the first add nothing:
the same reminder is never queued twice, even after consent is withdrawn and given again. A
reminder is queued only when it is due within `HORIZON` (so a condition met meanwhile is not
reminded days later) and at most `LATE_GRACE` late (a missed one is not sent weeks later).

Consents are read in id order in chunks of `CHUNK`, each with one query for the registry rows of
its cédulas, so memory stays flat whatever the number of households (docs/benchmarks.md).

Home visits: a household that consented (topic `visita`) hears the day before at 09:00 local,
the visit's time window only; a cancelled visit's queued reminder is withdrawn.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.domain.corresponsabilidad import (
    Condition,
    InvalidConditions,
    due_conditions,
    load_texts,
    parse_birth_dates,
    parse_pending_conditions,
)
from bot.domain.quiet_hours import next_allowed
from bot.domain.school_calendar import load_calendar
from bot.domain.sms_text import prepare_sms, segment_info
from bot.i18n import normalise_locale, translator
from bot.storage.models import Beneficiary, Contact, HomeVisit, ReminderConsent
from notificaciones import outbox_states
from notificaciones.outbox import NewMessage, enqueue_many
from notificaciones.time_zones import parish_zones

log = logging.getLogger(__name__)

TOPIC_CONDITIONS = "corresponsabilidad"
TOPIC_VISIT = "visita"
CONDITION_KIND = "condition_reminder"
VISIT_KIND = "visit_reminder"
SEND_AT = time(9, 0)
HORIZON = timedelta(days=1)
LATE_GRACE = timedelta(hours=12)
VISIT_NOTICE = timedelta(days=1)
CHUNK = 5000


@dataclass(frozen=True)
class ConsentRow:
    """A consent to reminders: who (cédula), where (channel, address) and in which language."""

    id: int
    cedula: str
    channel: str
    address: str
    locale: str | None


def _stop_hint(channel: str, locale: str) -> str:
    t = translator(locale)
    return t.t("BAJA: no recibir más.") if channel == "sms" else t.t("Para dejarlo: /cumplir")


def condition_text(
    condition: Condition,
    due_on: date,
    settings: Settings,
    locale: str | None,
    channel: str = "sms",
) -> str:
    """The short reminder of one condition (one SMS segment in Spanish without accents)."""
    texts = load_texts()
    language = locale or settings.default_locale
    t = translator(language)
    entry = texts.conditions[condition]
    return t.t(
        "{ministry}: recuerde el {what} hasta el {day} en {place}, así su bono no se "
        "suspende. {stop}",
        ministry=settings.ministry_name,
        what=t.t(entry.short),
        day=t.date(due_on, t.pattern("day_month")),
        place=t.t(texts.place_of(condition).sms),
        stop=_stop_hint(channel, language),
    )


def visit_text(
    visit: HomeVisit, zone: ZoneInfo, settings: Settings, locale: str | None, channel: str = "sms"
) -> str:
    """The reminder of a home visit: the day and the time window, nothing else."""
    language = locale or settings.default_locale
    t = translator(language)
    start = visit.window_start.astimezone(zone)
    end = visit.window_end.astimezone(zone)
    return t.t(
        "{ministry}: su técnico de Acompañamiento Familiar le visitará el {day} entre las "
        "{start} y las {end}. {stop}",
        ministry=settings.ministry_name,
        day=t.date(start.date(), t.pattern("day_month")),
        start=start.strftime("%H:%M"),
        end=end.strftime("%H:%M"),
        stop=_stop_hint(channel, language),
    )


async def _consents(
    session: AsyncSession, topic: str, after_id: int, limit: int
) -> list[ConsentRow]:
    rows = await session.execute(
        select(
            ReminderConsent.id,
            ReminderConsent.cedula,
            ReminderConsent.channel,
            ReminderConsent.address,
            Contact.locale,
        )
        .outerjoin(
            Contact,
            and_(
                Contact.channel == ReminderConsent.channel,
                Contact.address == ReminderConsent.address,
            ),
        )
        .where(
            ReminderConsent.topic == topic,
            ReminderConsent.withdrawn_at.is_(None),
            ReminderConsent.id > after_id,
        )
        .order_by(ReminderConsent.id)
        .limit(limit)
    )
    return [ConsentRow(*row) for row in rows.all()]


def _rendered(body: str, channel: str, settings: Settings) -> tuple[str, int]:
    """The text as sent on `channel`, with its SMS segment count (1 off SMS)."""
    if channel != "sms":
        return body, 1
    text = prepare_sms(body, transliterate_accents=settings.sms_transliterate)
    return text, segment_info(text).segments


async def materialise_condition_reminders(
    session: AsyncSession, settings: Settings, now: datetime, *, chunk: int = CHUNK
) -> int:
    """Queues the corresponsabilidad reminders due within `HORIZON`; returns rows added."""
    texts = load_texts()
    calendar = load_calendar()
    zones: dict[str, ZoneInfo] = {}
    bodies: dict[tuple[str, Condition, date, str], tuple[str, int]] = {}
    quiet = (settings.quiet_hours_start, settings.quiet_hours_end)
    added = 0
    unreadable = 0
    last_id = 0
    while True:
        consents = await _consents(session, TOPIC_CONDITIONS, last_id, chunk)
        if not consents:
            break
        last_id = consents[-1].id
        households: dict[str, tuple[str | None, str | None, str | None]] = {}
        cedulas = sorted({c.cedula for c in consents})
        registry = await session.execute(
            select(
                Beneficiary.cedula,
                Beneficiary.parish_code,
                Beneficiary.children_birth_dates,
                Beneficiary.pending_conditions,
            )
            .where(Beneficiary.cedula.in_(cedulas), Beneficiary.pending_conditions.is_not(None))
            .order_by(Beneficiary.id)
        )
        for cedula, parish_code, kids, listed in registry.all():
            households.setdefault(cedula, (parish_code, kids, listed))
        missing = {p for p, _c, _x in households.values() if p and p not in zones}
        zones.update(await parish_zones(session, missing))
        messages: list[NewMessage] = []
        for consent in consents:
            household = households.get(consent.cedula)
            if household is None:
                continue
            parish, children_text, pending_text = household
            zone = zones.get(parish or "", settings.timezone)
            today = now.astimezone(zone).date()
            try:
                pending = parse_pending_conditions(pending_text or "")
                children = parse_birth_dates(children_text or "")
            except InvalidConditions:
                unreadable += 1
                continue
            dues = due_conditions(
                pending, children, today=today, parish_code=parish, calendar=calendar
            )
            locale = normalise_locale(consent.locale or settings.default_locale)
            for due in dues:
                if due.due_on is None:
                    continue
                for days in texts.reminder_days:
                    send_at = datetime.combine(due.due_on - timedelta(days=days), SEND_AT, zone)
                    if not now - LATE_GRACE <= send_at <= now + HORIZON:
                        continue
                    body_key = (locale, due.condition, due.due_on, consent.channel)
                    rendered = bodies.get(body_key)
                    if rendered is None:
                        text = condition_text(
                            due.condition, due.due_on, settings, locale, consent.channel
                        )
                        rendered = bodies[body_key] = _rendered(text, consent.channel, settings)
                    key = (
                        f"corresp:{consent.id}:{due.condition.value}:"
                        f"{due.due_on.isoformat()}:{days}d"
                    )
                    due_at = next_allowed(max(send_at, now), zone, *quiet)
                    messages.append(
                        NewMessage(
                            consent.channel,
                            consent.address,
                            rendered[0],
                            CONDITION_KIND,
                            key,
                            due_at,
                            rendered[1],
                        )
                    )
        added += await enqueue_many(session, messages, now=now)
    if unreadable:
        log.warning("%s registry rows hold unreadable pending conditions", unreadable)
    return added


async def materialise_visit_reminders(
    session: AsyncSession, settings: Settings, now: datetime
) -> int:
    """Queues the day-before reminder of each planned home visit whose family consented."""
    visits = list(
        await session.scalars(
            select(HomeVisit).where(
                HomeVisit.cancelled_at.is_(None),
                HomeVisit.window_start > now,
                HomeVisit.window_start <= now + VISIT_NOTICE + HORIZON,
            )
        )
    )
    if not visits:
        return 0
    zones = await parish_zones(session, {v.parish_code for v in visits})
    consents = await session.execute(
        select(
            ReminderConsent.id,
            ReminderConsent.cedula,
            ReminderConsent.channel,
            ReminderConsent.address,
            Contact.locale,
        )
        .outerjoin(
            Contact,
            and_(
                Contact.channel == ReminderConsent.channel,
                Contact.address == ReminderConsent.address,
            ),
        )
        .where(
            ReminderConsent.topic == TOPIC_VISIT,
            ReminderConsent.withdrawn_at.is_(None),
            ReminderConsent.cedula.in_(sorted({v.cedula for v in visits})),
        )
    )
    by_cedula: dict[str, list[ConsentRow]] = {}
    for row in consents.all():
        consent = ConsentRow(*row)
        by_cedula.setdefault(consent.cedula, []).append(consent)
    quiet = (settings.quiet_hours_start, settings.quiet_hours_end)
    messages: list[NewMessage] = []
    for visit in visits:
        zone = zones.get(visit.parish_code, settings.timezone)
        eve = visit.window_start.astimezone(zone).date() - VISIT_NOTICE
        send_at = datetime.combine(eve, SEND_AT, zone)
        if send_at > now + HORIZON:
            continue
        for consent in by_cedula.get(visit.cedula, []):
            body, segments = _rendered(
                visit_text(visit, zone, settings, consent.locale, consent.channel),
                consent.channel,
                settings,
            )
            due_at = min(next_allowed(max(send_at, now), zone, *quiet), visit.window_start)
            messages.append(
                NewMessage(
                    consent.channel,
                    consent.address,
                    body,
                    VISIT_KIND,
                    f"visit:{visit.id}:{consent.id}:eve",
                    due_at,
                    segments,
                )
            )
    return await enqueue_many(session, messages, now=now)


async def withdraw_visit_reminders(session: AsyncSession, visit_id: int, now: datetime) -> int:
    """Withdraws the queued reminders of a cancelled visit; returns how many."""
    return await outbox_states.cancel_keyed(
        session, f"visit:{visit_id}:", now=now, reason="visit cancelled"
    )


async def withdraw_consent_reminders(
    session: AsyncSession, consent: ReminderConsent, now: datetime
) -> int:
    """Withdraws what a consent still had queued (it was withdrawn); returns how many."""
    if consent.topic == TOPIC_CONDITIONS:
        return await outbox_states.cancel_keyed(
            session, f"corresp:{consent.id}:", now=now, reason="consent withdrawn"
        )
    visits = await session.scalars(select(HomeVisit.id).where(HomeVisit.cedula == consent.cedula))
    total = 0
    for visit_id in visits:
        total += await outbox_states.cancel_keyed(
            session, f"visit:{visit_id}:{consent.id}:", now=now, reason="consent withdrawn"
        )
    return total
