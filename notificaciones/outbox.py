"""The outbox: every outgoing message is first a row with a unique dedupe key.

Enqueueing twice with the same key is a no-op, so jobs that materialise reminders can run any
number of times. Opted-out phones are never enqueued for SMS.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import OptOut, OutboxMessage


async def enqueue(
    session: AsyncSession,
    *,
    channel: str,
    address: str,
    body: str,
    kind: str,
    dedupe_key: str,
    due_at: datetime,
    now: datetime,
    segments: int = 1,
    broadcast_id: int | None = None,
) -> OutboxMessage | None:
    """Adds a message unless its dedupe key exists or the phone opted out; returns the new row."""
    if channel == "sms" and await session.get(OptOut, address) is not None:
        return None
    if await session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)):
        return None
    message = OutboxMessage(
        dedupe_key=dedupe_key,
        channel=channel,
        address=address,
        body=body,
        kind=kind,
        broadcast_id=broadcast_id,
        segments=segments,
        status="pending",
        attempts=0,
        next_attempt_at=due_at,
        created_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(message)
    except IntegrityError:
        return None
    return message
