"""The reply lane: sends the chats' queued replies of one channel, right after their turns commit.

A turn's transaction wrote its replies as pending outbox rows; `send_pending(chat)` hands that
chat's replies to the channel's sender, oldest first, and returns once none is left pending. One
task of the process (the lane) does the database work for every chat at once: each round is ONE
short transaction that stores the outcomes of the sends finished since the last round and claims
the oldest pending reply of every chat asked for meanwhile (group commit: under load one claim
serves many chats; alone, a chat's reply is claimed at once, so latency stays as before the
outbox). Different chats are sent concurrently, one reply of a chat at a time.

Only one sender holds a chat's replies at a time (`outbox_states.claim_chat_replies`), so replies
leave in the order their turns committed even when the next turn ran on another replica; a chat
held by a sender that seems dead is waited for at most `BUSY_WAIT_SECONDS`, then claimed anyway.
If the process dies between a turn's commit and the claim, the rows stay pending (a dispatcher,
or the console at its next start, sends them); once claimed, a reply is never sent twice (a
claimed reply whose outcome was not stored is reconciled, never resent).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.domain.clock import Clock
from bot.storage.db import SessionFactory
from notificaciones import budgets, outbox_states
from notificaciones.dispatcher import default_worker_name, settlement_for
from notificaciones.gateways.sms import SendOutcome

log = logging.getLogger(__name__)

BUSY_WAIT_SECONDS = 2.0
BUSY_POLL_SECONDS = 0.01
# A round that cannot reach the database is tried again after these pauses; then the chats
# asked for are released (their rows stay pending for a dispatcher or the next start).
OUTAGE_PAUSES = (0.05, 0.2, 0.5, 1.0, 2.0)
CLOSE_WAIT_SECONDS = 5.0  # how long `aclose` lets sends in flight finish

# A token due this soon is as good as there: the reply is claimed and sent at once.
SEND_NOW_SECONDS = 0.005

SendReply = Callable[[outbox_states.ClaimedMessage], Awaitable[SendOutcome]]
Checkpoint = Callable[[str], Awaitable[None]]


async def no_checkpoint(_point: str) -> None:
    """The default: nothing happens after a send (fault tests put a crash there)."""


@dataclass(frozen=True)
class _Round:
    """What one round did: its claims, the chats it asked for, those left for their token."""

    claims: outbox_states.ReplyClaims
    asked: list[str]
    later: list[tuple[str, float]]


class ReplyLane:
    """Sends the pending replies of many chats of one channel, each chat's in order, once each."""

    def __init__(
        self,
        *,
        channel: str,
        send: SendReply,
        session_factory: SessionFactory,
        clock: Clock,
        max_attempts: int,
        worker: str | None = None,
        budget: budgets.Budget | None = None,
    ) -> None:
        self.channel = channel
        # Shared by every replica (PostgreSQL): a chat is claimed once its token is due.
        self.budget = budget
        self._send_reply = send
        self.session_factory = session_factory
        self.clock = clock
        self.max_attempts = max_attempts
        self.worker = worker or default_worker_name()
        self.checkpoint: Checkpoint = no_checkpoint  # "after_send": a fault test's crash point
        self._asked: dict[str, float] = {}  # chat → when it may be claimed (monotonic)
        self._held_since: dict[str, float] = {}  # chat → when another sender was first seen
        self._sending: set[str] = set()
        self._settled: list[outbox_states.Settlement] = []
        self._handed: defaultdict[str, int] = defaultdict(int)
        self._waiters: defaultdict[str, list[asyncio.Future[int]]] = defaultdict(list)
        self._wake = asyncio.Event()
        self._lane: asyncio.Task[None] | None = None
        self._sends: set[asyncio.Task[None]] = set()
        self._paid: set[str] = set()  # chats whose budget token is taken, not yet used
        self._last: set[str] = set()  # chats whose reply being sent is their last one pending

    async def send_pending(self, chat_id: int | str) -> int:
        """Sends every pending reply to `chat_id`; returns how many were handed to the channel."""
        address = str(chat_id)
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiters[address].append(done)
        if self._lane is None or self._lane.done():
            self._wake = asyncio.Event()  # bound to the running loop
            self._lane = asyncio.create_task(self._run(), name=f"{self.channel}-replies")
        self._ask(address)
        return await done

    async def aclose(self) -> None:
        """Lets the lane finish (sends in flight, their outcomes stored), then stops it.

        After `CLOSE_WAIT_SECONDS` it is cancelled: what is still pending stays queued, and a
        claimed reply whose outcome was not stored is reconciled later, never resent.
        """
        lane, self._lane = self._lane, None
        if lane is not None and not lane.done():
            self._wake.set()
            try:
                await asyncio.wait_for(lane, CLOSE_WAIT_SECONDS)
            except TimeoutError:
                log.warning("the reply lane did not finish in time; its queued rows stay queued")
        for address in list(self._waiters):
            self._release(address)

    def _ask(self, address: str, *, after: float = 0.0) -> None:
        self._asked[address] = min(self._asked.get(address, float("inf")), time.monotonic() + after)
        self._wake.set()

    def _release(self, address: str) -> None:
        """The chat has nothing pending (or cannot be served now): its callers return."""
        handed = self._handed.pop(address, 0)
        self._held_since.pop(address, None)
        for done in self._waiters.pop(address, []):
            if not done.done():
                done.set_result(handed)

    async def _run(self) -> None:
        failures = 0
        while True:
            if not self._settled and not self._ready():
                if not self._asked and not self._sending:
                    return  # idle: started again by the next `send_pending`
                await self._sleep_until_asked()
                continue
            ready = self._ready()
            for address in ready:
                del self._asked[address]
            settled, self._settled = self._settled, []
            try:
                round_ = await self._round(ready, settled)
            except Exception:
                log.exception("could not claim or settle replies; trying again")
                self._settled = settled + self._settled
                if failures >= len(OUTAGE_PAUSES):
                    failures = 0
                    for address in ready:
                        self._release(address)  # still pending: a dispatcher sends them
                    continue
                for address in ready:
                    self._ask(address, after=OUTAGE_PAUSES[failures])
                failures += 1
                continue
            failures = 0
            self._dispatch(round_)

    def _ready(self) -> list[str]:
        now = time.monotonic()
        return [a for a, at in self._asked.items() if at <= now and a not in self._sending]

    async def _sleep_until_asked(self) -> None:
        self._wake.clear()
        waiting = [at for a, at in self._asked.items() if a not in self._sending]
        timeout = max(0.0, min(waiting) - time.monotonic()) if waiting else None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    async def _round(self, ready: list[str], settled: list[outbox_states.Settlement]) -> _Round:
        """One transaction: the finished sends' outcomes stored, the ready chats claimed.

        With a shared budget, a chat is claimed only once its token is due: the round takes one
        token per chat not yet paid for, claims those whose token is there now, and leaves the
        others unclaimed (still pending, so a crash meanwhile strands nothing) until theirs is.
        """
        now = self.clock()
        overdue = time.monotonic() - BUSY_WAIT_SECONDS
        async with self.session_factory() as session, session.begin():
            await outbox_states.store_settlements(session, settled, now=now)
            asked = [a for a in ready if a in self._paid]
            later: list[tuple[str, float]] = []
            unpaid = [a for a in ready if a not in self._paid]
            if self.budget is not None and unpaid:
                balance = await budgets.take_in(session, self.budget, len(unpaid))
                for address, wait in zip(
                    unpaid, budgets.waits(self.budget, balance, len(unpaid)), strict=True
                ):
                    if wait <= SEND_NOW_SECONDS:
                        asked.append(address)
                    else:
                        later.append((address, wait))
            else:
                asked += unpaid
            forced = [a for a in asked if self._held_since.get(a, float("inf")) <= overdue]
            claims = await outbox_states.claim_chat_replies(
                session,
                channel=self.channel,
                addresses=asked,
                worker=self.worker,
                now=now,
                forced=forced,
            )
        return _Round(claims, asked, later)

    def _dispatch(self, round_: _Round) -> None:
        claims = round_.claims
        claimed = {message.address for message in claims.claimed}
        for address, wait in round_.later:
            self._paid.add(address)  # its token is reserved: not taken again
            self._ask(address, after=wait)
        for message in claims.claimed:
            self._paid.discard(message.address)
            if message.address not in claims.more:
                self._last.add(message.address)
            if message.address in self._held_since:
                log.warning("a chat's earlier reply stayed in another sender's hands; sent on")
                self._held_since.pop(message.address)
            self._sending.add(message.address)
            task = asyncio.create_task(self._send(message))
            self._sends.add(task)
            task.add_done_callback(self._sends.discard)
        for address in round_.asked:
            if address in claimed:
                continue
            if address in claims.held:
                if self.budget is not None:
                    self._paid.add(address)  # keeps the token it took for when it is free
                self._held_since.setdefault(address, time.monotonic())
                self._ask(address, after=BUSY_POLL_SECONDS)
            else:
                self._paid.discard(address)
                self._release(address)

    async def _send(self, message: outbox_states.ClaimedMessage) -> None:
        address = message.address
        try:
            outcome = await self._send_reply(message)
            self._handed[address] += 1
            await self.checkpoint("after_send")
            self._settled.append(
                settlement_for(message, outcome, self.clock(), max_attempts=self.max_attempts)
            )
        except Exception:
            # Left SENDING (its outcome unknown): reconciled once this sender's lease is
            # dead, never resent blindly; the chat's later replies go on meanwhile.
            log.exception("a reply's send failed unexpectedly; its row is reconciled later")
        finally:
            self._sending.discard(address)
            last = address in self._last and address not in self._asked
            self._last.discard(address)
            if last:
                # Nothing else was pending: its callers return now; the outcome is stored by
                # the next round (the lane runs one while outcomes wait).
                self._release(address)
                self._wake.set()
            else:
                self._ask(address)
