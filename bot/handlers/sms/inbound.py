"""Inbound SMS/WhatsApp keywords (accent- and case-insensitive) and delivery-status callbacks.

The keywords are a thin layer in front of the flow engine (`bot/handlers/sms/conversation.py`),
and win over any conversation (the first word decides):

1. BAJA / STOP / PARAR / STOPALL / UNSUBSCRIBE opt the phone out (kept forever; one last
   confirmation) and end its conversation, whatever step it was at;
2. ALTA / START / UNSTOP opt it back in;
3. an opted-out phone gets nothing else, not even a help text, until it writes ALTA;
4. EVENTOS / EVENTS lists the next events in the sender's parish, AYUDA / HELP / INFO explains;
5. anything else is a conversation turn. «cancelar» there cancels the current step, as on
   Telegram and the console (it never opts out: that is BAJA), «menú» shows the options.

Replies are written in the language of the sender's known contact (`phone_locales`), else the
default locale.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.config import Settings
from bot.domain.text import clean_input, name_key
from bot.i18n import Translator, translator
from bot.services.events import upcoming_events
from bot.services.phone_messages import is_opted_out, opt_out
from bot.storage.models import (
    InboundSms,
    OptOut,
    OutboxMessage,
)
from bot.storage.phone_parish import parish_of_phone
from notificaciones import outbox, outbox_states
from notificaciones.audiences import phone_locales
from notificaciones.time_zones import parish_zones

log = logging.getLogger(__name__)

OPT_OUT_WORDS = frozenset({"baja", "stop", "parar", "stopall", "unsubscribe"})
OPT_IN_WORDS = frozenset({"alta", "start", "unstop"})
EVENTS_WORDS = frozenset({"eventos", "evento", "events", "event"})
HELP_WORDS = frozenset({"ayuda", "help", "info"})


@dataclass(frozen=True)
class InboundReply:
    """What a keyword did and the text to answer with (None: answer nothing)."""

    keyword: str
    text: str | None


def keyword_of(body: str) -> str:
    """The first word of a message, folded, without punctuation or emojis ('¡Bája!' → 'baja')."""
    words = name_key(body).split()
    return words[0] if words else ""


async def sender_translator(session: AsyncSession, settings: Settings, phone: str) -> Translator:
    """The translator of the phone's known language, else of the default locale."""
    return translator((await phone_locales(session, [phone])).get(phone, settings.default_locale))


def is_keyword(body: str) -> bool:
    """True when the message starts with a keyword (BAJA, ALTA, EVENTOS, AYUDA…)."""
    body = clean_input(body)
    word = keyword_of(body)
    if word in OPT_OUT_WORDS or word in OPT_IN_WORDS:
        return True
    # «/eventos Tacamoros», «/ayuda»: commands of the flows, as on Telegram.
    return not _is_command(body) and (word in EVENTS_WORDS or word in HELP_WORDS)


def _is_command(body: str) -> bool:
    return body.lstrip().startswith("/")


async def keyword_reply(
    session: AsyncSession, settings: Settings, phone: str, body: str, now: datetime
) -> InboundReply | None:
    """Acts on a keyword and returns its reply; None when the message is a conversation turn."""
    body = clean_input(body)  # a NUL or control character never reaches the database or a log
    word = keyword_of(body)
    ministry = settings.ministry_name
    if word in OPT_OUT_WORDS:
        t = await sender_translator(session, settings, phone)
        await opt_out(session, phone, now=now, source="sms_keyword")
        text = t.t(
            "{ministry}: listo, no recibirá más SMS. Para volver a recibirlos responda ALTA.",
            ministry=ministry,
        )
        return InboundReply("opt_out", text)
    if word in OPT_IN_WORDS:
        t = await sender_translator(session, settings, phone)
        await session.execute(delete(OptOut).where(OptOut.phone == phone))
        text = t.t(
            "{ministry}: listo, volverá a recibir avisos por SMS. Para dejar de recibirlos "
            "responda BAJA.",
            ministry=ministry,
        )
        return InboundReply("opt_in", text)
    if await is_opted_out(session, phone):
        # Opted-out numbers get no SMS, not even a help text, until they write ALTA.
        return InboundReply("ignored_opted_out", None)
    if _is_command(body):
        return None
    if word in EVENTS_WORDS:
        t = await sender_translator(session, settings, phone)
        return InboundReply("events", await _events_text(session, settings, t, phone, now))
    if word in HELP_WORDS:
        t = await sender_translator(session, settings, phone)
        text = t.t(
            "{ministry} Conecta: escriba su pregunta (por ejemplo «no me llegó el bono») o MENU "
            "para ver las opciones; CANCELAR deja lo que estaba haciendo; EVENTOS, los próximos "
            "eventos en su parroquia; BAJA, no recibir más SMS. Consultas: {phone}.",
            ministry=ministry,
            phone=settings.call_centre,
        )
        return InboundReply("help", text)
    return None


async def _events_text(
    session: AsyncSession, settings: Settings, t: Translator, phone: str, now: datetime
) -> str:
    parish = await parish_of_phone(session, phone)
    if parish is None:
        return t.t(
            "{ministry}: no tenemos registrada su parroquia. Consulte en Telegram o llame al "
            "{phone}.",
            ministry=settings.ministry_name,
            phone=settings.call_centre,
        )
    events = await upcoming_events(session, parish, now, limit=3)
    if not events:
        return t.t(
            "{ministry}: no hay eventos programados en su parroquia por ahora.",
            ministry=settings.ministry_name,
        )
    zone = (await parish_zones(session, [parish])).get(parish, settings.timezone)
    lines = [
        t.t(
            "{when}: {title}, {place}",
            when=t.datetime(e.starts_at.astimezone(zone), t.pattern("compact_date_time")),
            title=e.title,
            place=e.place,
        )
        for e in events
    ]
    return t.t("{ministry} eventos: ", ministry=settings.ministry_name) + "; ".join(lines)


async def apply_status_callback(
    session: AsyncSession,
    *,
    sid: str,
    status: str,
    error_code: str | None,
    reference: str | None,
    now: datetime,
) -> bool:
    """Stores a delivery status, only ever forward; True if it matched an outbox row.

    The order chosen (`outbox_states.STATUS_RANK`): accepted/scheduled < queued < sending < sent
    < a final status (delivered, undelivered, failed, canceled). A status is stored only if it
    ranks above the stored one, so the first final status wins: a replayed «delivered» after
    «undelivered», or a late «sent» after «delivered», is ignored. Any callback still settles a
    row that was not known to be sent (SENDING, UNCONFIRMED, UNKNOWN, PENDING) as SENT: the
    provider holds it.
    The comparison is in the UPDATE's WHERE clause, so racing callbacks cannot go backwards.
    """
    row: OutboxMessage | None = None
    if reference and reference.isascii() and reference.isdigit() and len(reference) <= 18:
        row = await session.get(OutboxMessage, int(reference))
    if row is None and sid:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.provider_sid == sid))
    if row is None:
        log.info("Status callback for an unknown message")
        return False
    await outbox_states.settle_by_callback(session, row, sid=sid, now=now)
    status = status.strip().lower()
    if status not in outbox_states.STATUS_RANK:
        log.info("Status callback with an unknown status ignored")
        return True
    handed_over = row.sent_at or row.claimed_at
    if handed_over is not None:
        metrics.callback_lag(status, (now - handed_over).total_seconds())
    stored = await outbox_states.record_provider_status(
        session, row.id, status=status, sid=sid, error_code=error_code, now=now
    )
    if not stored:
        log.info("Status callback older than the stored status ignored")
        return True
    if error_code == "21610":
        await outbox.add_opt_out(session, row.address, now=now, source="provider_21610")
    return True


async def first_delivery(
    session: AsyncSession, message_sid: str, *, now: datetime, outcome: str | None = None
) -> bool:
    """Records an inbound MessageSid; False when it was seen before (a replay: do nothing).

    The primary key decides, so two concurrent deliveries of one SID act once: the second waits
    for the first's transaction and then fails the insert. If handling fails afterwards, the
    transaction rolls back with the SID, so Twilio's own retry is still processed.
    """
    try:
        async with session.begin_nested():
            session.add(InboundSms(message_sid=message_sid, received_at=now, outcome=outcome))
    except IntegrityError:
        return False
    return True
