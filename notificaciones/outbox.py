"""The outbox: every outgoing message is first a row with a unique dedupe key.

Enqueueing twice with the same key is a no-op, so jobs that materialise reminders can run any
number of times. Opted-out phones are never enqueued for SMS or WhatsApp. What happens to a row
once queued (claimed, sent, retried, withdrawn…) is `notificaciones.outbox_states`, its only
writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.channels import PHONE_CHANNELS
from bot.storage.models import OptOut, OutboxMessage
from bot.storage.upsert import insert_ignore_statement
from notificaciones.outbox_states import PENDING, REPLY, reply_due

_OUTBOX_TABLE: Table = OutboxMessage.__table__  # type: ignore[assignment]


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
    cost_usd: Decimal | None = None,
    even_if_opted_out: bool = False,
) -> OutboxMessage | None:
    """Adds a message unless its dedupe key exists or the phone opted out; returns the new row.

    `even_if_opted_out` is only for the one confirmation of a BAJA itself.
    """
    if (
        channel in PHONE_CHANNELS
        and not even_if_opted_out
        and await session.get(OptOut, address) is not None
    ):
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
        cost_usd=cost_usd,
        status=PENDING,
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


async def add_opt_out(session: AsyncSession, phone: str, *, now: datetime, source: str) -> bool:
    """Records that `phone` must get no more SMS; True if it was not opted out before."""
    if await session.get(OptOut, phone) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(OptOut(phone=phone, opted_out_at=now, source=source))
    except IntegrityError:
        return False
    return True


@dataclass(frozen=True)
class NewMessage:
    """One message for `enqueue_many`."""

    channel: str
    address: str
    body: str
    kind: str
    dedupe_key: str
    due_at: datetime
    segments: int = 1
    broadcast_id: int | None = None


async def enqueue_many(
    session: AsyncSession, messages: list[NewMessage], *, now: datetime, chunk: int = 5000
) -> int:
    """Adds many messages at once (INSERT … ON CONFLICT DO NOTHING); returns how many were new.

    Same rules as `enqueue`: existing dedupe keys are skipped (safe to run twice, even
    concurrently) and opted-out phones are never queued for SMS.
    """
    if not messages:
        return 0
    opted_out = set(await session.scalars(select(OptOut.phone)))
    rows = [
        {
            "dedupe_key": m.dedupe_key,
            "channel": m.channel,
            "address": m.address,
            "body": m.body,
            "kind": m.kind,
            "broadcast_id": m.broadcast_id,
            "segments": m.segments,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": m.due_at,
            "created_at": now,
            "updated_at": now,
        }
        for m in messages
        if not (m.channel == "sms" and m.address in opted_out)
    ]
    # One compiled statement run as executemany ("insertmanyvalues" batches it); RETURNING
    # yields only the rows actually inserted, so duplicates are not counted.
    statement = insert_ignore_statement(session, _OUTBOX_TABLE, ["dedupe_key"]).returning(
        _OUTBOX_TABLE.c.id
    )
    added = 0
    for start in range(0, len(rows), chunk):
        result = await session.execute(statement, rows[start : start + chunk])
        added += len(result.all())
    return added


@dataclass(frozen=True)
class TurnReply:
    """One message of a conversation turn's answer, with its buttons (if any)."""

    body: str
    buttons: dict[str, Any] | None = None


async def enqueue_replies(
    session: AsyncSession,
    *,
    channel: str,
    address: str,
    turn_key: str,
    replies: list[TurnReply],
    now: datetime,
) -> None:
    """Queues a turn's replies in the turn's own transaction, keyed by the inbound message.

    The key is `reply:<channel>:<chat>:<inbound id>:<index>`, so the same turn can never queue its
    replies twice. They are due after `REPLY_GRACE`: the process that ran the turn sends them at
    once (`outbox_states.claim_chat_replies`); a dispatcher only takes what a dead one left.
    """
    if not replies:
        return
    due = reply_due(now)
    rows = [
        {
            "dedupe_key": f"{REPLY}:{channel}:{address}:{turn_key}:{index}"[:160],
            "channel": channel,
            "address": address,
            "body": reply.body,
            "kind": REPLY,
            "buttons": reply.buttons,
            "broadcast_id": None,
            "segments": 1,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": due,
            "created_at": now,
            "updated_at": now,
        }
        for index, reply in enumerate(replies)
    ]
    await session.execute(insert_ignore_statement(session, _OUTBOX_TABLE, ["dedupe_key"]), rows)
