"""Reminder subscriptions of a contact: per parish, channel ("telegram"/"sms") and topic.

A row says «send `topic` news about `parish_code` to `address` on `channel`»: the Telegram chat id
for "telegram", the E.164 mobile for "sms". The notification jobs (notificaciones/audiences.py)
read exactly these values, so the topic names here are the ones they select on.

Stopping a subscription also withdraws what is already queued because of it (reminders,
commitment notices, the subscription's own confirmation SMS), in the same transaction: a
reminder materialised before /baja_eventos must not go out after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Commitment, Contact, Event, OptOut, OutboxMessage, Subscription
from notificaciones import outbox_states
from notificaciones.audiences import TOPIC_ALL, TOPIC_COMMITMENTS

TOPIC_EVENTS = "eventos"
CHANNEL_TELEGRAM = "telegram"
CHANNEL_SMS = "sms"
CHANNEL_WHATSAPP = "whatsapp"
SUBSCRIPTION_CHANNELS = (CHANNEL_TELEGRAM, CHANNEL_SMS, CHANNEL_WHATSAPP)


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
    now: datetime,
    topic: str | None = TOPIC_EVENTS,
    parish_code: str | None = None,
    channel: str | None = None,
) -> int:
    """Deletes the contact's matching subscriptions and withdraws what was queued for them.

    `topic=None` matches every topic. Returns how many subscriptions were removed.
    """
    query = select(Subscription).where(Subscription.contact_id == contact.id)
    if topic is not None:
        query = query.where(Subscription.topic == topic)
    if parish_code is not None:
        query = query.where(Subscription.parish_code == parish_code)
    if channel is not None:
        query = query.where(Subscription.channel == channel)
    removed = list(await session.scalars(query))
    if not removed:
        return 0
    await session.execute(
        delete(Subscription)
        .where(Subscription.id.in_([row.id for row in removed]))
        .execution_options(synchronize_session=False)
    )
    for row_channel, address in sorted({(row.channel, row.address) for row in removed}):
        await withdraw_unwanted(
            session, channel=row_channel, address=address, now=now, reason="unsubscribed"
        )
    return len(removed)


# Outbox kinds queued because of a subscription, and how their dedupe keys name its origin:
#   event_announcement  event:<event id>:<offset>:<channel>:<address>
#   commitment_reminder commitment:<commitment id>:<days>d:<channel>:<address>
#   compromiso          commitment:<id>:update:<update id>:sub:<subscription id>
#   suscripcion         subscription:<topic>:<parish>:<phone>:<date>
SUBSCRIPTION_KINDS = ("event_announcement", "commitment_reminder", "compromiso", "suscripcion")


async def withdraw_unwanted(
    session: AsyncSession,
    *,
    channel: str,
    address: str,
    now: datetime,
    reason: str,
    everything: bool = False,
) -> int:
    """Withdraws the messages queued to `address` that no remaining subscription asks for.

    With `everything`, withdraws every message still queued to the address (erasure). Returns
    how many were withdrawn. A message another subscriber of the same address still wants (a
    shared household phone) stays queued.
    """
    pending = (
        await session.execute(
            select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.dedupe_key).where(
                OutboxMessage.channel == channel,
                OutboxMessage.address == address,
                OutboxMessage.status == outbox_states.PENDING,
            )
        )
    ).all()
    if everything:
        ids = [row_id for row_id, _kind, _key in pending]
        return await outbox_states.withdraw(session, ids, now=now, reason=reason)
    tied = [(row_id, kind, key.split(":")) for row_id, kind, key in pending]
    tied = [item for item in tied if item[1] in SUBSCRIPTION_KINDS]
    if not tied:
        return 0
    remaining = (
        await session.execute(
            select(Subscription.id, Subscription.parish_code, Subscription.topic).where(
                Subscription.channel == channel, Subscription.address == address
            )
        )
    ).all()
    sub_ids = {sub_id for sub_id, _parish, _topic in remaining}
    wanted = {(parish, topic) for _id, parish, topic in remaining}
    event_parish = await _parishes(session, Event, tied, "event_announcement")
    commitment_parish = await _parishes(session, Commitment, tied, "commitment_reminder")

    def still_wanted(kind: str, parts: list[str]) -> bool:
        if kind == "compromiso":
            return parts[-1].isdigit() and int(parts[-1]) in sub_ids
        if kind == "suscripcion":
            parish, topic = parts[2] if len(parts) > 2 else "", parts[1]
        elif kind == "event_announcement":
            parish, topic = event_parish.get(_id_of(parts), ""), TOPIC_EVENTS
        else:
            parish, topic = commitment_parish.get(_id_of(parts), ""), TOPIC_COMMITMENTS
        return (parish, topic) in wanted or (parish, TOPIC_ALL) in wanted

    ids = [row_id for row_id, kind, parts in tied if not still_wanted(kind, parts)]
    return await outbox_states.withdraw(session, ids, now=now, reason=reason)


def _id_of(parts: list[str]) -> int:
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else -1


async def _parishes(
    session: AsyncSession,
    model: type[Event] | type[Commitment],
    tied: list[tuple[int, str, list[str]]],
    kind: str,
) -> dict[int, str]:
    """The parish of each event (or commitment) that the queued `kind` messages are about."""
    ids = {_id_of(parts) for _row, row_kind, parts in tied if row_kind == kind}
    if not ids:
        return {}
    rows = await session.execute(select(model.id, model.parish_code).where(model.id.in_(ids)))
    return {int(row_id): str(parish) for row_id, parish in rows.all()}


async def is_opted_out(session: AsyncSession, phone_e164: str) -> bool:
    """Whether the phone asked for no more SMS (BAJA); such a phone gets nothing until ALTA."""
    return await session.get(OptOut, phone_e164) is not None


def mask_phone(phone_e164: str) -> str:
    """Shows a phone without its middle digits, e.g. '+59399****567'."""
    if len(phone_e164) < 9:
        return "****"
    return phone_e164[:6] + "****" + phone_e164[-3:]
