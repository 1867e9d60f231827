"""Reminder subscriptions of a contact: per parish, channel ("telegram"/"sms") and topic.

A row says «send `topic` news about `parish_code` to `address` on `channel`»: the Telegram chat id
for "telegram", the E.164 mobile for "sms". The notification jobs (notificaciones/audiences.py)
read exactly these values, so the topic names here are the ones they select on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Contact, OptOut, Subscription

TOPIC_EVENTS = "eventos"
CHANNEL_TELEGRAM = "telegram"
CHANNEL_SMS = "sms"
SUBSCRIPTION_CHANNELS = (CHANNEL_TELEGRAM, CHANNEL_SMS)


@dataclass(frozen=True)
class SubscriptionView:
    """One subscription as the citizen sees it."""

    parish_code: str
    channel: str
    address: str
    consent_at: datetime


async def subscriptions_of(
    session: AsyncSession,
    contact: Contact,
    *,
    topic: str = TOPIC_EVENTS,
    parish_code: str | None = None,
) -> list[SubscriptionView]:
    """The contact's subscriptions to `topic` (optionally for one parish), oldest first."""
    query = select(Subscription).where(
        Subscription.contact_id == contact.id, Subscription.topic == topic
    )
    if parish_code is not None:
        query = query.where(Subscription.parish_code == parish_code)
    rows = await session.scalars(query.order_by(Subscription.id))
    return [SubscriptionView(r.parish_code, r.channel, r.address, r.consent_at) for r in rows]


async def subscribe(
    session: AsyncSession,
    contact: Contact,
    *,
    parish_code: str,
    channel: str,
    address: str,
    now: datetime,
    topic: str = TOPIC_EVENTS,
) -> bool:
    """Records a consented subscription; an existing one gets the new address and consent time.

    Returns True when a new row was added, False when an existing one was renewed.
    """
    if channel not in SUBSCRIPTION_CHANNELS:
        raise ValueError(f"unknown subscription channel {channel!r}")
    existing = await session.scalar(
        select(Subscription).where(
            Subscription.contact_id == contact.id,
            Subscription.parish_code == parish_code,
            Subscription.channel == channel,
            Subscription.topic == topic,
        )
    )
    if existing is not None:
        existing.address = address
        existing.consent_at = now
        await session.flush()
        return False
    row = Subscription(
        contact_id=contact.id,
        parish_code=parish_code,
        channel=channel,
        address=address,
        topic=topic,
        consent_at=now,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # A concurrent request of the same contact added it first: the wish is recorded.
        return False
    return True


async def unsubscribe(
    session: AsyncSession,
    contact: Contact,
    *,
    topic: str = TOPIC_EVENTS,
    parish_code: str | None = None,
    channel: str | None = None,
) -> int:
    """Deletes the contact's matching subscriptions; returns how many were removed."""
    query = delete(Subscription).where(
        Subscription.contact_id == contact.id, Subscription.topic == topic
    )
    if parish_code is not None:
        query = query.where(Subscription.parish_code == parish_code)
    if channel is not None:
        query = query.where(Subscription.channel == channel)
    result = await session.execute(query)
    return int(getattr(result, "rowcount", 0) or 0)


async def is_opted_out(session: AsyncSession, phone_e164: str) -> bool:
    """Whether the phone asked for no more SMS (BAJA); such a phone gets nothing until ALTA."""
    return await session.get(OptOut, phone_e164) is not None


def mask_phone(phone_e164: str) -> str:
    """Shows a phone without its middle digits, e.g. '+59399****567'."""
    if len(phone_e164) < 9:
        return "****"
    return phone_e164[:6] + "****" + phone_e164[-3:]
