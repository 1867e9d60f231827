"""The outbox's state machine: every status an outbox row can have and every move between them.

This module is the only writer of `OutboxMessage.status` (and of the columns that travel with it:
claim, attempts, next try, provider SID and status, last error). The dispatcher, the delivery
callback, the jobs, erasure and opt-outs call the named moves below and never set a status
themselves, so the rules of the machine are read in one place:

    pending → sending (claimed) → sent | pending (provably not sent: retry) | failed | opted_out
                                → unconfirmed (the provider may hold it: reconcile, never resend)
    sending whose dispatcher died (lease expired) is reconciled like unconfirmed.
    unconfirmed → sent (found at the provider) | pending (provably never received, after the safe
                  window) | unknown (still unknowable after RECONCILE_CHECKS lookups: staff)
    a conversation reply (kind "reply") is pending from its turn's commit and claimed by the
    process that ran the turn (`claim_chat_replies`: one round for many chats), or by a
    dispatcher after `REPLY_GRACE`
    pending → cancelled (withdrawn: event cancelled, unsubscribed, erased) | opted_out (BAJA)
    any not yet known as sent → sent (a provider callback: the provider holds it)

A row that was in flight when its citizen's data was erased is marked (its dedupe key becomes
`withdrawn:<id>`), and a claimed row that is marked, or is an SMS to an opted-out phone, is
withdrawn at claim instead of sent: a send that reconciliation or a retry puts back to pending
after an erasure or a BAJA never goes out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    String,
    Table,
    Update,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.domain.channels import OPT_OUT_CONFIRMATION, PHONE_CHANNELS
from bot.storage.models import Conversation, OptOut, OutboxMessage
from bot.storage.types import UtcDateTime
from notificaciones.gateways.sms import LookupResult, ProviderMessage
from notificaciones.leases import dead_holders

PENDING = "pending"
SENDING = "sending"  # claimed and handed (or about to be handed) to the provider
SENT = "sent"  # the provider accepted it (provider_sid stored)
FAILED = "failed"  # permanent error or attempts exhausted: never retried
OPTED_OUT = "opted_out"  # the number is on the opt-out list: never sent
UNCONFIRMED = "unconfirmed"  # the outcome of a send is unknown: the dispatcher reconciles it
UNKNOWN = "unknown"  # a send's outcome cannot be established: needs reconciliation by staff
CANCELLED = "cancelled"  # withdrawn before sending (e.g. the event was cancelled)
# Final: nothing will send these again, so their text may be erased.
SETTLED = (SENT, FAILED, OPTED_OUT, CANCELLED)
# A provider callback settles these as SENT: the provider holds the message, so it must never be
# sent again (a crashed dispatcher, an unknown outcome, a retry that was not needed).
SETTLED_BY_CALLBACK = (PENDING, SENDING, UNCONFIRMED, UNKNOWN)
# Handed to the provider, or maybe: a withdrawal lets these finish and stops them coming back.
IN_FLIGHT = (SENDING, UNCONFIRMED, UNKNOWN)
# The dedupe key of a row withdrawn while in flight (it no longer names the citizen).
WITHDRAWN_KEY = "withdrawn:"

# Twilio lists a message it accepted within seconds; after this long, "not listed" means "never
# received" (our request timeout is 15 s), so only then may an unconfirmed send be retried.
# The default of `Settings.sms_safe_window_seconds`.
SAFE_WINDOW = timedelta(minutes=2)
# Lookups of an unconfirmed send before a person has to decide (spaced by `retry_delay`: ~1 day).
RECONCILE_CHECKS = 8

# Rural phones can be off for days: retries spread over about a week.
BACKOFF_MINUTES = (1, 5, 15, 60, 180, 360, 720, 1440, 1440, 1440, 2880, 2880)

# Delivery statuses only move forward, in this order (Twilio's lifecycle of an outgoing message):
#   accepted/scheduled < queued < sending < sent < delivered | undelivered | failed | canceled
# The four last are final and equal: the first final status stored wins, so a replayed or late
# «delivered» after «undelivered» (or «sent» after «delivered») changes nothing. A status outside
# this table is never stored (and a stored one outside it counts as the earliest).
STATUS_RANK: dict[str, int] = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "canceled": 4,
}

_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]


def retry_delay(attempts: int) -> timedelta:
    """The wait before the next try after `attempts` failed tries (1-based)."""
    index = min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1
    return timedelta(minutes=BACKOFF_MINUTES[index])


def _cut(text: str) -> str:
    return text[:200]


async def _rows_changed(session: AsyncSession, statement: Update) -> int:
    result = await session.execute(statement.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def _key_of_id(prefix: str) -> ColumnElement[str]:
    """A dedupe key that names only the row: `prefix` + its id."""
    return literal(prefix, String) + cast(OutboxMessage.id, String)


# --- claim ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimedMessage:
    """An outbox row claimed by one dispatcher, with what it needs to send it."""

    id: int
    channel: str
    address: str
    body: str
    attempts: int
    claimed_at: datetime
    kind: str = ""  # e.g. "broadcast": Telegram notices of a broadcast may go as paid broadcast
    buttons: dict[str, Any] | None = None


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
    database's write lock, which is just as exclusive. Claimed rows withdrawn in flight (erasure)
    or bound for an opted-out phone are settled at once and not returned (except the one
    confirmation of a BAJA). With `ids`, only those rows (a turn's replies, sent at once by the
    webhook that wrote them) are claimed.
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
            OutboxMessage.dedupe_key,
            OutboxMessage.kind,
            OutboxMessage.buttons,
        )
        .execution_options(synchronize_session=False)
    )
    rows = (await session.execute(statement)).all()
    phones = sorted({r[2] for r in rows if r[1] in PHONE_CHANNELS})
    opted_out = set(await session.scalars(select(OptOut.phone).where(OptOut.phone.in_(phones))))
    withdrawn = [r[0] for r in rows if r[5].startswith(WITHDRAWN_KEY)]
    stopped = [
        r[0]
        for r in rows
        if r[1] in PHONE_CHANNELS
        and r[2] in opted_out
        and r[6] != OPT_OUT_CONFIRMATION
        and r[0] not in withdrawn
    ]
    await _settle_claimed(session, withdrawn, CANCELLED, "withdrawn: erased", now)
    await _settle_claimed(session, stopped, OPTED_OUT, "opt-out", now)
    gone = {*withdrawn, *stopped}
    claimed = [
        ClaimedMessage(r[0], r[1], r[2], r[3], r[4], now, r[6], r[7])
        for r in rows
        if r[0] not in gone
    ]
    claimed.sort(key=lambda message: message.id)
    return claimed


# --- conversation replies ------------------------------------------------------------------------

REPLY = "reply"  # the kind of a conversation turn's reply
# A turn's replies are sent by the process that ran it, right after its commit; only if that
# process died first does a dispatcher take them, once this long has passed.
REPLY_GRACE = timedelta(seconds=10)
# A chat's reply in another sender's hands for longer than this is no longer waited for (that
# sender died after or during its send; the row is reconciled like any stale send).
REPLY_SENDING_WINDOW = timedelta(seconds=5)


def reply_due(now: datetime) -> datetime:
    """When a dispatcher may send a turn's reply that its own process did not."""
    return now + REPLY_GRACE


# Reply claims, built once (cache key and compiled form reused): the oldest pending reply of each
# asked chat, skipping a chat whose reply another sender holds (`_CLAIM_REPLIES`), or not
# (`_FORCE_REPLIES`: that sender waited for long enough is presumed dead).
_HELD = OutboxMessage.__table__.alias("held")
_ASKED = _OUTBOX.c.address.in_(bindparam("b_addresses", expanding=True))
_PENDING_REPLIES = (
    (_OUTBOX.c.channel == bindparam("b_channel"))
    & (_OUTBOX.c.kind == REPLY)
    & (_OUTBOX.c.status == PENDING)
    & _ASKED
)
_HELD_ELSEWHERE = (
    select(_HELD.c.id)
    .where(
        _HELD.c.channel == _OUTBOX.c.channel,
        _HELD.c.address == _OUTBOX.c.address,
        _HELD.c.kind == REPLY,
        _HELD.c.status == SENDING,
        _HELD.c.claimed_by != bindparam("b_worker"),
        _HELD.c.claimed_at > bindparam("b_window", type_=UtcDateTime),
    )
    .exists()
)


# Whether the chat of a claimed reply has another one pending after it (a later row: the claimed
# one is the oldest). Only the claimed row of a chat changes, so both databases' views agree.
# Written out: SQLAlchemy renders RETURNING's columns unqualified, which would lose the
# correlation with the updated row. Built from constants only.
_T = _OUTBOX.name
_MORE_PENDING = literal_column(
    f"EXISTS (SELECT 1 FROM {_T} AS later WHERE later.channel = {_T}.channel"  # noqa: S608
    f" AND later.address = {_T}.address AND later.kind = '{REPLY}'"
    f" AND later.status = '{PENDING}' AND later.id > {_T}.id)",
    type_=Boolean,
)


def _claim_oldest(*, skip_held: bool, postgres: bool) -> Update:
    condition = _PENDING_REPLIES & ~_HELD_ELSEWHERE if skip_held else _PENDING_REPLIES
    oldest = select(func.min(_OUTBOX.c.id)).where(condition).group_by(_OUTBOX.c.address)
    returned = [_MORE_PENDING] if postgres else []
    # The status is checked again on the row itself (PostgreSQL re-reads a row another sender
    # changed meanwhile). SQLite's planner would take that check to the status index and scan
    # every pending row of the outbox (a broadcast's SMS); written `status || ''` there, it
    # finds the rows by their ids.
    status = _OUTBOX.c.status if postgres else _OUTBOX.c.status.concat("")
    return (
        update(_OUTBOX)
        .where(_OUTBOX.c.id.in_(oldest.scalar_subquery()), status == PENDING)
        .values(
            status=SENDING,
            claimed_by=bindparam("b_worker"),
            claimed_at=bindparam("b_now", type_=UtcDateTime),
            attempts=_OUTBOX.c.attempts + 1,
            updated_at=bindparam("b_now", type_=UtcDateTime),
        )
        .returning(
            _OUTBOX.c.id,
            _OUTBOX.c.channel,
            _OUTBOX.c.address,
            _OUTBOX.c.body,
            _OUTBOX.c.attempts,
            _OUTBOX.c.buttons,
            *returned,
        )
    )


# PostgreSQL says in the claim's RETURNING whether the chat has more pending. SQLite cannot
# search an index with a RETURNING row's values (that subquery read every reply of every chat),
# so there one query after the claim tells both what is held and what has more.
_CLAIM_REPLIES = _claim_oldest(skip_held=True, postgres=True)
_FORCE_REPLIES = _claim_oldest(skip_held=False, postgres=True)
_CLAIM_REPLIES_SQLITE = _claim_oldest(skip_held=True, postgres=False)
_FORCE_REPLIES_SQLITE = _claim_oldest(skip_held=False, postgres=False)
_STILL_PENDING = select(_OUTBOX.c.address).where(_PENDING_REPLIES).distinct()
_LOCK_CHATS = (
    select(Conversation.id)
    .where(
        Conversation.channel == bindparam("b_channel"),
        Conversation.address.in_(bindparam("b_addresses", expanding=True)),
    )
    .order_by(Conversation.id)
    .with_for_update()
)


@dataclass(frozen=True)
class ReplyClaims:
    """One claim round: the replies claimed (one per chat), the chats another sender holds, and
    the claimed chats with more replies pending after the one claimed."""

    claimed: list[ClaimedMessage]
    held: frozenset[str]
    more: frozenset[str]


async def claim_chat_replies(
    session: AsyncSession,
    *,
    channel: str,
    addresses: Sequence[str],
    worker: str,
    now: datetime,
    forced: Sequence[str] = (),
) -> ReplyClaims:
    """Claims the oldest pending reply of each chat in `addresses`, in one round for all.

    A chat's replies go out one sender at a time and in the order their turns committed: the
    replies of an earlier turn left pending (its process died, its send failed) go first, and a
    reply being sent by another process (SENDING, claimed by someone else within
    `REPLY_SENDING_WINDOW`) leaves the chat `held`: the caller asks again shortly. A chat in
    `forced` is claimed anyway (the caller waited long enough; that sender is presumed dead). On
    PostgreSQL the chats' conversation rows are locked first, in id order, so two senders never
    both find a chat free and never deadlock. Claiming one reply per chat means a sender that
    dies mid-way strands at most the reply it was handing over. A chat neither claimed nor held
    has nothing pending; a claimed chat not in `more` has nothing pending once its reply is sent.
    """
    asked = sorted(set(addresses))
    if not asked:
        return ReplyClaims([], frozenset(), frozenset())
    params: dict[str, Any] = {
        "b_channel": channel,
        "b_worker": worker,
        "b_now": now,
        "b_window": now - REPLY_SENDING_WINDOW,
    }
    postgres = session.bind is not None and session.bind.dialect.name == "postgresql"
    if postgres:
        await session.execute(_LOCK_CHATS, {"b_channel": channel, "b_addresses": asked})
    claim, force_claim = (
        (_CLAIM_REPLIES, _FORCE_REPLIES)
        if postgres
        else (_CLAIM_REPLIES_SQLITE, _FORCE_REPLIES_SQLITE)
    )
    force = sorted(set(forced) & set(asked))
    normal = [a for a in asked if a not in set(force)]
    rows: list[Any] = []
    if normal:
        rows += (await session.execute(claim, {**params, "b_addresses": normal})).all()
    if force:
        rows += (await session.execute(force_claim, {**params, "b_addresses": force})).all()
    claimed = [ClaimedMessage(r[0], r[1], r[2], r[3], r[4], now, REPLY, r[5]) for r in rows]
    claimed.sort(key=lambda message: message.id)
    mine = {m.address for m in claimed}
    unclaimed = [a for a in normal if a not in mine]
    # Still pending after the claim: an unclaimed chat's reply is held by another sender (or
    # the chat has nothing pending); a claimed chat has more after the one claimed.
    look = unclaimed if postgres else asked
    pending: frozenset[str] = frozenset()
    if look:
        pending = frozenset(
            await session.scalars(_STILL_PENDING, {"b_channel": channel, "b_addresses": look})
        )
    more = frozenset(r[2] for r in rows if r[6]) if postgres else pending & mine
    return ReplyClaims(claimed, pending & set(unclaimed), more)


async def _settle_claimed(
    session: AsyncSession, ids: list[int], status: str, reason: str, now: datetime
) -> None:
    if ids:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.status == SENDING)
            .values(status=status, claimed_by=None, last_error=reason, updated_at=now)
            .execution_options(synchronize_session=False)
        )


async def put_back(session: AsyncSession, row_id: int, *, until: datetime) -> None:
    """Returns a claimed row, unsent and its attempt not counted, to be tried at `until`."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(
            status=PENDING,
            attempts=OutboxMessage.attempts - 1,
            next_attempt_at=until,
            claimed_by=None,
            claimed_at=None,
        )
        .execution_options(synchronize_session=False)
    )


async def postpone(session: AsyncSession, row_id: int, *, until: datetime) -> None:
    """Moves the next try of a pending row (quiet hours) without changing its status."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.status == PENDING)
        .values(next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )


# --- the outcome of a send -----------------------------------------------------------------------


@dataclass(frozen=True)
class Settlement:
    """The new state of one claimed row after its send, stored with the others of its batch."""

    id: int
    status: str
    error: str | None = None
    provider_sid: str | None = None
    provider_status: str | None = None
    sent_at: datetime | None = None
    next_attempt_at: datetime | None = None


def accepted(
    message: ClaimedMessage, *, sid: str | None, provider_status: str | None, now: datetime
) -> Settlement:
    """The provider took the message: SENT."""
    return Settlement(
        message.id, SENT, provider_sid=sid, provider_status=provider_status, sent_at=now
    )


def outcome_unknown(
    message: ClaimedMessage, *, reason: str, now: datetime, safe_window: timedelta = SAFE_WINDOW
) -> Settlement:
    """The provider may hold it: UNCONFIRMED, reconciled once it would be listed, never resent."""
    return Settlement(message.id, UNCONFIRMED, _cut(reason), next_attempt_at=now + safe_window)


def try_again(
    message: ClaimedMessage, *, reason: str, now: datetime, max_attempts: int
) -> Settlement:
    """A passing error: PENDING after the backoff, or FAILED once the attempts are used up."""
    if message.attempts >= max_attempts:
        return Settlement(message.id, FAILED, _cut("gave up: " + reason))
    return Settlement(
        message.id, PENDING, _cut(reason), next_attempt_at=now + retry_delay(message.attempts)
    )


def refused(message: ClaimedMessage, *, reason: str) -> Settlement:
    """A permanent error (invalid number, blocked): FAILED, never retried."""
    return Settlement(message.id, FAILED, _cut(reason))


def stopped_by_recipient(message: ClaimedMessage, *, reason: str) -> Settlement:
    """The provider says the number opted out: OPTED_OUT."""
    return Settlement(message.id, OPTED_OUT, _cut(reason))


_STORE_SETTLEMENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("b_id"), _OUTBOX.c.status == SENDING)
    .values(
        status=bindparam("b_status"),
        provider_sid=func.coalesce(bindparam("b_sid", type_=String), _OUTBOX.c.provider_sid),
        provider_status=func.coalesce(
            bindparam("b_provider_status", type_=String), _OUTBOX.c.provider_status
        ),
        sent_at=func.coalesce(bindparam("b_sent_at", type_=UtcDateTime), _OUTBOX.c.sent_at),
        next_attempt_at=func.coalesce(
            bindparam("b_next", type_=UtcDateTime), _OUTBOX.c.next_attempt_at
        ),
        last_error=bindparam("b_error", type_=String),
        reconcile_checks=0,
        claimed_by=None,
        updated_at=bindparam("b_updated"),
    )
)


async def store_settlements(
    session: AsyncSession, settlements: Sequence[Settlement], *, now: datetime
) -> None:
    """Stores a batch's outcomes in one executemany; only rows still SENDING (ours) change."""
    if not settlements:
        return
    params = [
        {
            "b_id": s.id,
            "b_status": s.status,
            "b_sid": s.provider_sid,
            "b_provider_status": s.provider_status,
            "b_sent_at": s.sent_at,
            "b_next": s.next_attempt_at,
            "b_error": s.error,
            "b_updated": now,
        }
        for s in settlements
    ]
    await session.execute(_STORE_SETTLEMENT, params)


# --- reconciliation ------------------------------------------------------------------------------


async def stale_sends(
    session: AsyncSession, *, now: datetime, lease: timedelta, limit: int = 500
) -> list[OutboxMessage]:
    """Sends of unknown outcome: SENDING of a dead dispatcher, UNCONFIRMED due.

    A dispatcher is known dead once its lease row expired (notificaciones/leases.py); `lease`
    is the fallback for a claim with no lease row (its age alone).
    """
    return list(
        await session.scalars(
            select(OutboxMessage)
            .where(
                or_(
                    (OutboxMessage.status == SENDING)
                    & or_(
                        OutboxMessage.claimed_at < now - lease,
                        OutboxMessage.claimed_by.in_(dead_holders(now)),
                    ),
                    (OutboxMessage.status == UNCONFIRMED) & (OutboxMessage.next_attempt_at <= now),
                )
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


def reconciliation(
    row: OutboxMessage,
    verdict: LookupResult,
    found: ProviderMessage | None,
    *,
    now: datetime,
    max_attempts: int,
    safe_window: timedelta = SAFE_WINDOW,
) -> dict[str, object]:
    """The new values of a stale send after the provider was asked (`verdict`, `found`).

    "Not listed" proves "never received" only `safe_window` after the attempt.
    """
    attempted_at = row.claimed_at or row.updated_at
    values: dict[str, object] = {"updated_at": now, "claimed_by": None}
    never_sent = verdict is LookupResult.NOT_FOUND and now - attempted_at >= safe_window
    if verdict is LookupResult.FOUND and found is not None:
        values.update(
            status=SENT,
            provider_sid=found.sid,
            provider_status=row.provider_status or found.status,
            sent_at=row.sent_at or now,
            last_error="reconciled: found at provider",
        )
    elif never_sent and row.attempts >= max_attempts:
        values.update(status=FAILED, last_error="gave up: never sent")
    elif never_sent:
        # Back to pending; `claim_due` withdraws it if it was erased or opted out meanwhile.
        values.update(
            status=PENDING,
            next_attempt_at=now,
            reconcile_checks=0,
            last_error="reconciled: never sent",
        )
    elif verdict is LookupResult.UNKNOWN or row.reconcile_checks + 1 >= RECONCILE_CHECKS:
        values.update(status=UNKNOWN, last_error="needs reconciliation")
    else:
        # Not listed yet (too early to be proof) or the provider cannot be asked: look again.
        checks = row.reconcile_checks + 1
        values.update(
            status=UNCONFIRMED,
            reconcile_checks=checks,
            next_attempt_at=max(now + retry_delay(checks), attempted_at + safe_window),
            last_error=f"reconciling: {verdict.value}",
        )
    return values


async def store_reconciliation(
    session: AsyncSession, row: OutboxMessage, values: dict[str, object]
) -> None:
    """Stores `reconciliation`'s values unless the row moved meanwhile (a callback, say)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row.id, OutboxMessage.status == row.status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


# --- the provider's delivery callback ------------------------------------------------------------


async def settle_by_callback(
    session: AsyncSession, row: OutboxMessage, *, sid: str, now: datetime
) -> None:
    """A callback for a row not yet known as sent: the provider holds it, so it is SENT."""
    if row.status not in SETTLED_BY_CALLBACK:
        return
    settle: dict[str, object] = {"status": SENT, "sent_at": now, "claimed_by": None}
    if sid:
        settle["provider_sid"] = sid
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row.id, OutboxMessage.status.in_(SETTLED_BY_CALLBACK))
        .values(**settle, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def record_provider_status(
    session: AsyncSession,
    row_id: int,
    *,
    status: str,
    sid: str,
    error_code: str | None,
    now: datetime,
) -> bool:
    """Stores a delivery status only if it ranks above the stored one; True if it was stored.

    The comparison is in the UPDATE's WHERE clause, so racing callbacks cannot go backwards.
    """
    earlier = [name for name, rank in STATUS_RANK.items() if rank < STATUS_RANK[status]]
    values: dict[str, object] = {"provider_status": status, "updated_at": now}
    if sid:
        values["provider_sid"] = func.coalesce(OutboxMessage.provider_sid, sid)
    if error_code:
        values["last_error"] = _cut(f"provider error {error_code}")
    statement = (
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            or_(
                OutboxMessage.provider_status.is_(None),
                OutboxMessage.provider_status.not_in(list(STATUS_RANK)),
                OutboxMessage.provider_status.in_(earlier),
            ),
        )
        .values(**values)
    )
    return await _rows_changed(session, statement) > 0


# --- withdrawal and erasure ----------------------------------------------------------------------


async def withdraw(session: AsyncSession, ids: list[int], *, now: datetime, reason: str) -> int:
    """Withdraws the rows `ids` that are still pending (never claimed); returns how many."""
    if not ids:
        return 0
    return await _cancel(session, OutboxMessage.id.in_(sorted(ids)), now=now, reason=reason)


async def cancel_keyed(
    session: AsyncSession, key_prefix: str, *, now: datetime, reason: str
) -> int:
    """Withdraws the pending rows whose dedupe key starts with `key_prefix` (an event's)."""
    return await _cancel(
        session, OutboxMessage.dedupe_key.like(f"{key_prefix}%"), now=now, reason=reason
    )


async def _cancel(
    session: AsyncSession, which: ColumnElement[bool], *, now: datetime, reason: str
) -> int:
    statement = (
        update(OutboxMessage)
        .where(which, OutboxMessage.status == PENDING)
        .values(status=CANCELLED, updated_at=now, last_error=_cut(reason))
    )
    return await _rows_changed(session, statement)


async def cancel_pending_for(session: AsyncSession, phone: str, *, now: datetime) -> int:
    """Stops every queued SMS or WhatsApp message to an opted-out phone; returns how many."""
    statement = (
        update(OutboxMessage)
        .where(
            OutboxMessage.channel.in_(PHONE_CHANNELS),
            OutboxMessage.address == phone,
            OutboxMessage.status == PENDING,
        )
        .values(status=OPTED_OUT, updated_at=now, last_error="opt-out")
    )
    return await _rows_changed(session, statement)


async def withdraw_in_flight(session: AsyncSession, *, channel: str, address: str) -> int:
    """Marks the rows to `address` now being sent or reconciled so they never go out again.

    An in-flight send may already be at the provider and is let finish whole; if it comes back
    to pending (never received, or a retry), `claim_due` withdraws it instead of sending it.
    """
    statement = (
        update(OutboxMessage)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.address == address,
            OutboxMessage.status.in_(IN_FLIGHT),
        )
        .values(dedupe_key=_key_of_id(WITHDRAWN_KEY))
    )
    return await _rows_changed(session, statement)


async def erase_settled_text(session: AsyncSession, *, channel: str, address: str) -> None:
    """Empties the text of the settled messages to `address` (erasure keeps only the facts)."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.address == address,
            OutboxMessage.status.in_(SETTLED),
        )
        .values(body="")
        .execution_options(synchronize_session=False)
    )


async def forget_settled_keyed(session: AsyncSession, key_pattern: str, *, prefix: str) -> None:
    """Empties the settled rows whose key is LIKE `key_pattern`; their key becomes prefix + id."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.dedupe_key.like(key_pattern), OutboxMessage.status.in_(SETTLED))
        .values(body="", dedupe_key=_key_of_id(prefix))
        .execution_options(synchronize_session=False)
    )
