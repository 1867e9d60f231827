"""The inbound ledger: each conversation message is recorded by its channel id, run once, in order.

A message is a row of `inbound_turns` keyed by (channel, chat, message_key): Telegram's update_id,
the console's sequence. The row is written in the transaction that runs its turn (and writes its
replies to the outbox), so a message delivered again finds its row `done` and runs nothing.
Telegram updates received by long polling need no row: the conversation's last update_id tells
a redelivery (`run_before`).

Across replicas (webhook mode), a message is first recorded `waiting` in a short transaction of
its own, with what it said; the turn's transaction then locks the conversation and runs every
waiting message of that chat up to this one in `sequence` order, whichever replica received it.
A later message that arrives first waits a bounded time (`Settings.turn_order_wait_ms`) before
it runs, so an earlier one in flight on another replica is recorded by then and runs first; an
earlier one that still comes too late is run after it and logged as out of order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.base import Incoming
from bot.storage.models import InboundTurn
from bot.storage.upsert import insert_ignore_statement

WAITING = "waiting"
DONE = "done"

# Where one process receives a Telegram bot's updates (long polling), they come in update_id
# order, a chat's one at a time, and the conversation row keeps the last one run
# (`Conversation.last_sequence`, written in the turn's transaction): an update at or below it was
# run before and is being delivered again. No ledger row is needed for that. Telegram numbers a
# bot's updates in sequence, except that after a week without any update the next id is chosen
# at random; and it keeps an update it could not deliver 24 hours at most. So the last sequence
# is trusted only while it is younger than a week (two days here, well inside both bounds): an
# older one may predate a random restart of the numbering, and a redelivery that old no longer
# exists.
SEQUENCED_CHANNELS = frozenset({"telegram"})
SEQUENCE_TRUSTED_FOR = timedelta(days=2)


def run_before(last_sequence: int | None, last_at: datetime, sequence: int, now: datetime) -> bool:
    """Whether a polled update was run before, by the chat's last sequence and when it ran."""
    return (
        last_sequence is not None
        and sequence <= last_sequence
        and now - last_at < SEQUENCE_TRUSTED_FOR
    )


_TURNS: Table = InboundTurn.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class WaitingTurn:
    """A recorded message not yet run: its key, order and what it said."""

    id: int
    message_key: str
    sequence: int
    incoming: Incoming


def payload_of(incoming: Incoming) -> dict[str, Any]:
    """What a waiting row keeps of a message so any replica can run it (emptied once done)."""
    return {
        "text": incoming.text,
        "option_key": incoming.option_key,
        "turn": incoming.turn,
        "media": incoming.media,
        "locale": incoming.locale,
    }


def incoming_of(
    channel: str, address: str, key: str, sequence: int, payload: dict[str, Any]
) -> Incoming:
    """The message a waiting row holds."""
    return Incoming(
        channel=channel,
        address=address,
        text=str(payload.get("text") or ""),
        option_key=payload.get("option_key"),
        turn=payload.get("turn"),
        media=payload.get("media"),
        locale=payload.get("locale"),
        message_key=key,
        sequence=sequence,
    )


def _row(incoming: Incoming, status: str, now: datetime, turn: int | None) -> dict[str, Any]:
    assert incoming.message_key is not None
    done = status == DONE
    return {
        "channel": incoming.channel,
        "message_key": incoming.message_key,
        "address": incoming.address,
        "sequence": incoming.sequence or 0,
        "status": status,
        "payload": {} if done else payload_of(incoming),
        "turn": turn,
        "received_at": now,
        "done_at": now if done else None,
    }


_KEY = ("channel", "address", "message_key")
_RECORD_DONE: dict[str, Any] = {}  # per dialect, built once


async def record_waiting(session: AsyncSession, incoming: Incoming, now: datetime) -> None:
    """Records a message as waiting to run (nothing if it is recorded already)."""
    statement = insert_ignore_statement(session, _TURNS, _KEY)
    await session.execute(statement, _row(incoming, WAITING, now, None))


async def record_done(session: AsyncSession, incoming: Incoming, now: datetime, turn: int) -> bool:
    """Records a message as run by this transaction; False when it was recorded before."""
    dialect = session.get_bind().dialect.name
    statement = _RECORD_DONE.get(dialect)
    if statement is None:
        statement = insert_ignore_statement(session, _TURNS, _KEY).returning(_TURNS.c.id)
        _RECORD_DONE[dialect] = statement
    inserted = await session.execute(statement, _row(incoming, DONE, now, turn))
    return inserted.first() is not None


async def status_of(session: AsyncSession, incoming: Incoming) -> str | None:
    """The status of a recorded message (None: never recorded)."""
    return await session.scalar(
        select(InboundTurn.status).where(
            InboundTurn.channel == incoming.channel,
            InboundTurn.address == incoming.address,
            InboundTurn.message_key == incoming.message_key,
        )
    )


async def waiting_up_to(
    session: AsyncSession, channel: str, address: str, sequence: int
) -> list[WaitingTurn]:
    """The chat's waiting messages up to `sequence`, in order (the conversation locked)."""
    rows = await session.execute(
        select(InboundTurn.id, InboundTurn.message_key, InboundTurn.sequence, InboundTurn.payload)
        .where(
            InboundTurn.channel == channel,
            InboundTurn.address == address,
            InboundTurn.status == WAITING,
            InboundTurn.sequence <= sequence,
        )
        .order_by(InboundTurn.sequence, InboundTurn.id)
    )
    return [
        WaitingTurn(id_, key, seq, incoming_of(channel, address, key, seq, payload or {}))
        for id_, key, seq, payload in rows.all()
    ]


_MARK_DONE = (
    update(_TURNS)
    .where(_TURNS.c.id == bindparam("b_id"))
    .values(status=DONE, payload={}, turn=bindparam("b_turn"), done_at=bindparam("b_done"))
)


async def mark_done(session: AsyncSession, done: list[tuple[int, int]], now: datetime) -> None:
    """Marks waiting rows (id, turn) as run, emptying what they said."""
    if done:
        params = [{"b_id": row_id, "b_turn": turn, "b_done": now} for row_id, turn in done]
        await session.execute(_MARK_DONE.execution_options(synchronize_session=False), params)
