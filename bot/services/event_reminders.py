"""A citizen starting or stopping event reminders: every table touched, in one call.

Starting reminders is more than a subscription row: the citizen's consent is recorded on the
contact, with the parish (and the phone, for SMS) it was given for; an SMS subscription sends the
phone's owner a confirmation, so a mistyped number can answer BAJA; and the change is audited.
The flows (bot/flows/citizen/events.py) call one function per step and only word the replies.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit, subscriptions
from bot.services.subscriptions import CHANNEL_SMS, TOPIC_EVENTS
from bot.storage.models import Contact
from notificaciones.outbox import enqueue

CONSENT_VERSION = "2026-12"  # the privacy notice of bot/flows/citizen/privacy.py accepted


def record_consent(contact: Contact, now: datetime) -> None:
    """Records that the contact accepted the privacy notice now."""
    contact.consent_at = now
    contact.consent_version = CONSENT_VERSION


async def start_event_reminders(
    session: AsyncSession,
    contact: Contact,
    *,
    parish_code: str,
    channel: str,
    address: str,
    actor: str,
    now: datetime,
    sms_confirmation: str,
) -> None:
    """Subscribes with consent, keeps parish (and phone), confirms an SMS number, audits.

    `sms_confirmation` is the (translated) SMS sent to the phone when `channel` is "sms".
    """
    await subscriptions.subscribe(
        session, contact, parish_code=parish_code, channel=channel, address=address, now=now
    )
    record_consent(contact, now)
    contact.parish_code = parish_code
    if channel == CHANNEL_SMS:
        contact.phone = address
        await enqueue(
            session,
            channel=CHANNEL_SMS,
            address=address,
            body=sms_confirmation,
            kind="suscripcion",
            dedupe_key=f"subscription:{TOPIC_EVENTS}:{parish_code}:{address}:"
            f"{now.date().isoformat()}",
            due_at=now,
            now=now,
        )
    await _audit(session, actor, "subscription_added", parish_code, channel, now)


async def stop_event_reminders(
    session: AsyncSession,
    contact: Contact,
    *,
    parish_code: str,
    actor: str,
    now: datetime,
    channel: str | None = None,
) -> int:
    """Stops the parish's reminders (one channel, or all) and audits; returns how many stopped.

    The audit row's outcome is the channel stopped, or the count when all channels were.
    """
    removed = await subscriptions.unsubscribe(
        session, contact, now=now, parish_code=parish_code, channel=channel
    )
    outcome = channel if channel is not None else str(removed)
    await _audit(session, actor, "subscription_removed", parish_code, outcome, now)
    return removed


async def _audit(
    session: AsyncSession, actor: str, action: str, parish: str, outcome: str, now: datetime
) -> None:
    await audit.record(
        session,
        at=now,
        actor_kind="citizen",
        actor=actor,
        action=action,
        target=f"parish:{parish}",
        outcome=outcome,
        detail={"topic": TOPIC_EVENTS},
    )
