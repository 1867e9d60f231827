"""Consent to corresponsabilidad and home-visit reminders: given, withdrawn, erased.

A household's reminders go only where someone consented: the citizen, after proving who they
are («¿qué me falta cumplir?»), on the channel they are writing from; or a technician who
recorded the family's consent in person for the registry's phone. BAJA (the opt-out list) always
wins over a consent; withdrawing one also withdraws what it still had queued.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.storage.models import Contact, ReminderConsent
from notificaciones.condition_reminders import (
    TOPIC_CONDITIONS,
    TOPIC_VISIT,
    withdraw_consent_reminders,
)

TOPICS = (TOPIC_CONDITIONS, TOPIC_VISIT)


async def _row(
    session: AsyncSession, cedula: str, topic: str, channel: str, address: str
) -> ReminderConsent | None:
    return await session.scalar(
        select(ReminderConsent).where(
            ReminderConsent.cedula == cedula,
            ReminderConsent.topic == topic,
            ReminderConsent.channel == channel,
            ReminderConsent.address == address,
        )
    )


async def give(
    session: AsyncSession,
    *,
    cedula: str,
    topic: str,
    channel: str,
    address: str,
    now: datetime,
    contact_id: int | None = None,
    staff_id: int | None = None,
) -> ReminderConsent:
    """Records (or renews) a consent; audited under pseudonyms."""
    if topic not in TOPICS:
        raise ValueError(f"unknown reminder topic {topic}")
    row = await _row(session, cedula, topic, channel, address)
    if row is None:
        row = ReminderConsent(
            cedula=cedula,
            topic=topic,
            channel=channel,
            address=address,
            contact_id=contact_id,
            staff_id=staff_id,
            consent_at=now,
            withdrawn_at=None,
        )
        session.add(row)
    else:
        row.consent_at, row.withdrawn_at = now, None
        row.contact_id = contact_id or row.contact_id
        row.staff_id = staff_id or row.staff_id
    await session.flush()
    await audit.record(
        session,
        at=now,
        actor_kind="staff" if staff_id else "citizen",
        actor=f"staff:{staff_id}" if staff_id else f"{channel}:{address}",
        action="reminder_consent.given",
        target=f"consent:{row.id}",
        outcome=topic,
    )
    return row


async def withdraw(
    session: AsyncSession, *, cedula: str, topic: str, channel: str, address: str, now: datetime
) -> bool:
    """Withdraws a consent and what it had queued; False when there was none."""
    row = await _row(session, cedula, topic, channel, address)
    if row is None or row.withdrawn_at is not None:
        return False
    row.withdrawn_at = now
    await withdraw_consent_reminders(session, row, now)
    await audit.record(
        session,
        at=now,
        actor_kind="citizen",
        actor=f"{channel}:{address}",
        action="reminder_consent.withdrawn",
        target=f"consent:{row.id}",
        outcome=topic,
    )
    return True


async def has_consent(
    session: AsyncSession, *, cedula: str, topic: str, channel: str, address: str
) -> bool:
    """Whether reminders of `topic` may go to this address for this household."""
    row = await _row(session, cedula, topic, channel, address)
    return row is not None and row.withdrawn_at is None


async def delete_of_contact(session: AsyncSession, contact: Contact) -> int:
    """Erasure: deletes the consents the contact gave or that name its own address."""
    result = await session.execute(
        delete(ReminderConsent)
        .where(
            or_(
                ReminderConsent.contact_id == contact.id,
                (ReminderConsent.channel == contact.channel)
                & (ReminderConsent.address == contact.address),
            )
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
