"""Telegram → SMS: a notice a chat can no longer receive goes to the person's phone instead.

When Telegram refuses a notice because the person blocked the bot (403 Forbidden) or the chat no
longer exists (400 chat not found), the chat's contact is marked unreachable (`unreachable_at`;
cleared when the person writes again) and, where the same person consented to SMS (an SMS
subscription of that contact: a phone they gave for notices), the SMS version of the notice is
queued instead. The Telegram row fails for good, so exactly one of the two can reach the person;
the SMS row's dedupe key is the one the SMS notice itself would have had
(`…:telegram:<chat>` → `…:sms:<phone>`), so a person subscribed on both channels still gets one
SMS, and a second failure of the same notice queues nothing more. Later notices to an unreachable
chat are not tried on Telegram at all.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.domain.quiet_hours import next_allowed
from bot.domain.sms_text import gsm_only, segment_info
from bot.storage.models import Contact, OutboxMessage, Subscription
from notificaciones.outbox import enqueue
from notificaciones.time_zones import phone_zones

log = logging.getLogger(__name__)


async def unreachable_chats(session: AsyncSession, chat_ids: list[str]) -> set[str]:
    """Which of these Telegram chats are known to refuse the bot."""
    if not chat_ids:
        return set()
    rows = await session.scalars(
        select(Contact.address).where(
            Contact.channel == "telegram",
            Contact.address.in_(sorted(set(chat_ids))),
            Contact.unreachable_at.is_not(None),
        )
    )
    return set(rows)


def sms_key(dedupe_key: str, chat_id: str, phone: str) -> str:
    """The dedupe key of the SMS version of a Telegram notice."""
    marker = f":telegram:{chat_id}"
    if marker in dedupe_key:
        return dedupe_key.replace(marker, f":sms:{phone}")[:160]
    return f"{dedupe_key[:140]}:sms-fallback"


async def fall_back_to_sms(
    session: AsyncSession, settings: Settings, row_id: int, chat_id: str, *, now: datetime
) -> int | None:
    """Marks the chat unreachable and queues the notice by SMS if the person consented to it.

    Returns the new SMS row's id (None: no consent, opted out, or that SMS exists already).
    """
    await session.execute(
        update(Contact)
        .where(Contact.channel == "telegram", Contact.address == chat_id)
        .values(unreachable_at=now)
        .execution_options(synchronize_session=False)
    )
    phone = await session.scalar(
        select(Subscription.address)
        .join(Contact, Contact.id == Subscription.contact_id)
        .where(
            Contact.channel == "telegram",
            Contact.address == chat_id,
            Subscription.channel == "sms",
        )
        .order_by(Subscription.id)
        .limit(1)
    )
    row = await session.get(OutboxMessage, row_id)
    if phone is None or row is None:
        log.info("Telegram chat unreachable; no SMS consent to fall back to")
        return None
    body = gsm_only(row.body) if settings.sms_transliterate else row.body
    zone = (await phone_zones(session, [phone], settings.timezone))[phone]
    due = next_allowed(now, zone, settings.quiet_hours_start, settings.quiet_hours_end)
    queued = await enqueue(
        session,
        channel="sms",
        address=phone,
        body=body,
        kind=row.kind,
        dedupe_key=sms_key(row.dedupe_key, chat_id, phone),
        due_at=due,
        now=now,
        segments=segment_info(body).segments,
        broadcast_id=row.broadcast_id,
    )
    log.info("Telegram chat unreachable; notice %s", "queued by SMS" if queued else "not re-queued")
    return None if queued is None else queued.id
