"""The outbox: every outgoing message is first a row with a unique dedupe key.

Enqueueing twice with the same key is a no-op, so jobs that materialise reminders can run any
number of times. Opted-out phones are never enqueued for SMS or WhatsApp.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.channels import PHONE_CHANNELS
from bot.storage.models import OptOut, OutboxMessage

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


# --- statuses and retry policy -----------------------------------------------------------------

# The state machine (the dispatcher and the status callback are the only writers):
#   pending → sending (claimed) → sent | pending (provably not sent: retry) | failed | opted_out
#                               → unconfirmed (the provider may hold it: reconcile, never resend)
#   sending whose dispatcher died (lease expired) is reconciled like unconfirmed.
#   unconfirmed → sent (found at the provider) | pending (provably never received, after the safe
#                 window) | unknown (still unknowable after RECONCILE_CHECKS lookups: staff)
PENDING = "pending"
SENDING = "sending"  # claimed and handed (or about to be handed) to the provider
SENT = "sent"  # the provider accepted it (provider_sid stored)
FAILED = "failed"  # permanent error or attempts exhausted: never retried
OPTED_OUT = "opted_out"  # the number is on the opt-out list: never sent
UNCONFIRMED = "unconfirmed"  # the outcome of a send is unknown: the dispatcher reconciles it
UNKNOWN = "unknown"  # a send's outcome cannot be established: needs reconciliation by staff
CANCELLED = "cancelled"  # withdrawn before sending (e.g. the event was cancelled)

# Twilio lists a message it accepted within seconds; after this long, "not listed" means "never
# received" (our request timeout is 15 s), so only then may an unconfirmed send be retried.
SAFE_WINDOW = timedelta(minutes=2)
# Lookups of an unconfirmed send before a person has to decide (spaced by `retry_delay`: ~1 day).
RECONCILE_CHECKS = 8

# Rural phones can be off for days: retries spread over about a week.
BACKOFF_MINUTES = (1, 5, 15, 60, 180, 360, 720, 1440, 1440, 1440, 2880, 2880)


def retry_delay(attempts: int) -> timedelta:
    """The wait before the next try after `attempts` failed tries (1-based)."""
    index = min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1
    return timedelta(minutes=BACKOFF_MINUTES[index])


@dataclass(frozen=True)
class ClaimedMessage:
    """An outbox row claimed by one dispatcher, with what it needs to send it."""

    id: int
    channel: str
    address: str
    body: str
    attempts: int
    claimed_at: datetime
    kind: str = ""


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    worker: str,
    limit: int,
    channels: tuple[str, ...] = ("sms", "telegram"),
    ids: list[int] | None = None,
) -> list[ClaimedMessage]:
    """Atomically marks up to `limit` due rows as SENDING for `worker` and returns them.

    One UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) statement: on PostgreSQL any number
    of dispatchers claim disjoint rows without waiting; on SQLite the single statement holds the
    database's write lock, which is just as exclusive. With `ids`, only those rows (a turn's
    replies, sent at once by the webhook that wrote them) are claimed.
    """
    due = select(OutboxMessage.id).where(
        OutboxMessage.status == PENDING,
        OutboxMessage.next_attempt_at <= now,
        OutboxMessage.channel.in_(channels),
    )
    if ids is not None:
        due = due.where(OutboxMessage.id.in_(ids))
    due = (
        due.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(
            status=SENDING,
            claimed_by=worker,
            claimed_at=now,
            attempts=OutboxMessage.attempts + 1,
            updated_at=now,
        )
        .returning(
            OutboxMessage.id,
            OutboxMessage.channel,
            OutboxMessage.address,
            OutboxMessage.body,
            OutboxMessage.attempts,
            OutboxMessage.kind,
        )
        .execution_options(synchronize_session=False)
    )
    rows = (await session.execute(statement)).all()
    claimed = [ClaimedMessage(r[0], r[1], r[2], r[3], r[4], now, r[5]) for r in rows]
    claimed.sort(key=lambda message: message.id)
    return claimed


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


async def cancel_pending_for(session: AsyncSession, phone: str, *, now: datetime) -> int:
    """Stops every queued SMS or WhatsApp message to an opted-out phone; returns how many."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.channel.in_(PHONE_CHANNELS),
            OutboxMessage.address == phone,
            OutboxMessage.status == PENDING,
        )
        .values(status=OPTED_OUT, updated_at=now, last_error="opt-out")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


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
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
    # One compiled statement run as executemany ("insertmanyvalues" batches it); RETURNING
    # yields only the rows actually inserted, so duplicates are not counted.
    statement = (
        insert_fn(_OUTBOX_TABLE)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(_OUTBOX_TABLE.c.id)
    )
    added = 0
    for start in range(0, len(rows), chunk):
        result = await session.execute(statement, rows[start : start + chunk])
        added += len(result.all())
    return added


async def withdraw(session: AsyncSession, ids: list[int], *, now: datetime, reason: str) -> int:
    """Withdraws the rows `ids` that are still pending (never claimed); returns how many."""
    if not ids:
        return 0
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(sorted(ids)), OutboxMessage.status == PENDING)
        .values(status=CANCELLED, updated_at=now, last_error=reason[:200])
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
