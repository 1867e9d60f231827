"""What the SMS and WhatsApp channels write: replies with their cost, limits, opt-outs.

Every reply of a conversation by phone is an outbox row (kind `reply`) with its price, so the
delivery reports count conversations and the limits below are read from the same rows:
per phone, `replies_per_phone_per_minute` and `replies_per_phone_per_day` replies; for the whole
product, `replies_daily_spend_usd` of replies a day (local day in the default time zone). When a
limit is reached the person gets one short notice (kind `reply_limit`, its dedupe key names the
limit and its window, so it is never repeated within it) and the message is recorded, not run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.domain.channels import ANSWER_KINDS, OPT_OUT_CONFIRMATION, PHONE_CHANNELS, REPLY
from bot.domain.sms_text import segment_info
from bot.storage.models import Contact, Conversation, InboundSms, OptOut, OutboxMessage
from notificaciones import outbox, outbox_states

REPLY_KINDS = tuple(sorted(ANSWER_KINDS))
RATE_WINDOW = timedelta(minutes=1)
# A rate notice is sent at most once in this long, however fast the phone keeps writing.
RATE_NOTICE_EVERY = timedelta(minutes=10)

Limit = Literal["rate", "daily", "spend"]


@dataclass(frozen=True)
class LimitReached:
    """A reply limit this phone's next reply would pass, and the window it holds for."""

    limit: Limit
    window: str


def reply_cost(settings: Settings, channel: str, body: str) -> tuple[int, Decimal]:
    """Segments and price (USD) of one reply on `channel`."""
    if channel == "whatsapp":
        return 1, Decimal(str(settings.whatsapp_cost_per_message_usd))
    segments = segment_info(body).segments
    return segments, Decimal(str(settings.sms_cost_per_segment_usd)) * segments


async def enqueue_reply(
    session: AsyncSession,
    settings: Settings,
    *,
    channel: str,
    phone: str,
    body: str,
    key: str,
    now: datetime,
    kind: str = REPLY,
) -> int | None:
    """Queues one reply to send now, priced; returns its outbox id (None if already queued)."""
    segments, cost = reply_cost(settings, channel, body)
    row = await outbox.enqueue(
        session,
        channel=channel,
        address=phone,
        body=body,
        kind=kind,
        dedupe_key=key,
        due_at=now,
        now=now,
        segments=segments,
        cost_usd=cost,
        even_if_opted_out=kind == OPT_OUT_CONFIRMATION,
    )
    return None if row is None else row.id


def _day_start(settings: Settings, now: datetime) -> datetime:
    local = now.astimezone(settings.timezone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Sender:
    """What one query tells about a phone before its message is handled."""

    opted_out: bool
    known_contact: bool  # it wrote on this channel before
    limit: LimitReached | None


async def sender_state(
    session: AsyncSession, settings: Settings, channel: str, phone: str, now: datetime
) -> Sender:
    """Opt-out, known contact and the reply limit a new reply would pass, in one round trip.

    The product's daily spend is checked first, then the phone's day, then its last minute.
    """
    day = _day_start(settings, now)
    mine = (
        OutboxMessage.address == phone,
        OutboxMessage.kind == REPLY,
        OutboxMessage.channel.in_(PHONE_CHANNELS),
    )
    row = (
        await session.execute(
            select(
                select(OptOut.phone).where(OptOut.phone == phone).scalar_subquery(),
                select(Contact.id)
                .where(Contact.channel == channel, Contact.address == phone)
                .scalar_subquery(),
                select(func.coalesce(func.sum(OutboxMessage.cost_usd), 0))
                .where(OutboxMessage.kind.in_(REPLY_KINDS), OutboxMessage.created_at >= day)
                .scalar_subquery(),
                select(func.count())
                .where(*mine, OutboxMessage.created_at >= day)
                .scalar_subquery(),
                select(func.count())
                .where(*mine, OutboxMessage.created_at > now - RATE_WINDOW)
                .scalar_subquery(),
            )
        )
    ).one()
    opted_out, contact_id, spent, today, recent = row
    day_key = day.date().isoformat()
    limit: LimitReached | None = None
    if Decimal(str(spent or 0)) >= Decimal(str(settings.replies_daily_spend_usd)):
        limit = LimitReached("spend", day_key)
    elif (today or 0) >= settings.replies_per_phone_per_day:
        limit = LimitReached("daily", day_key)
    elif (recent or 0) >= settings.replies_per_phone_per_minute:
        slot = int(now.timestamp() // RATE_NOTICE_EVERY.total_seconds())
        limit = LimitReached("rate", str(slot))
    return Sender(opted_out is not None, contact_id is not None, limit)


async def is_opted_out(session: AsyncSession, phone: str) -> bool:
    """True when the phone asked for no more messages (BAJA/STOP)."""
    return await session.get(OptOut, phone) is not None


async def opt_out(session: AsyncSession, phone: str, *, now: datetime, source: str) -> None:
    """BAJA: the phone gets nothing more, queued messages stop, its conversations end."""
    await outbox.add_opt_out(session, phone, now=now, source=source)
    await outbox_states.cancel_pending_for(session, phone, now=now)
    await session.execute(
        update(Conversation)
        .where(Conversation.channel.in_(PHONE_CHANNELS), Conversation.address == phone)
        .values(
            flow="menu",
            step="choosing",
            data={},
            options=[],
            turn=Conversation.turn + 1,
            updated_at=now,
            expires_at=now,
        )
        .execution_options(synchronize_session=False)
    )


async def note_inbound(session: AsyncSession, channel: str, phone: str, *, now: datetime) -> None:
    """Records when this phone last wrote on `channel` (WhatsApp's 24-hour window)."""
    await session.execute(
        update(Contact)
        .where(Contact.channel == channel, Contact.address == phone)
        .values(last_inbound_at=now)
        .execution_options(synchronize_session=False)
    )


async def set_outcome(session: AsyncSession, message_sid: str, outcome: str) -> None:
    """Notes what was done with an inbound message (a word, never its text)."""
    if not message_sid:
        return
    await session.execute(
        update(InboundSms)
        .where(InboundSms.message_sid == message_sid)
        .values(outcome=outcome[:24])
        .execution_options(synchronize_session=False)
    )
