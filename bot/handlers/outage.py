"""While the database is unreachable: keep each message to process it later, apologise once.

Webhook mode leaves the update unprocessed and answers Telegram with a 503, so Telegram delivers
it again; polling mode keeps the update in memory and tries it again with a growing pause,
unacknowledged meanwhile (a bot that stops first leaves it for Telegram to deliver again). The
per-chat lock is held meanwhile, so a chat's later messages wait behind it and keep their order.
A chat hears one apology per outage, which promises nothing but that the message will be
answered (its conversation has not changed).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator

Sleep = Callable[[float], Awaitable[None]]

FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 30.0


class StorageOutage:
    """What the Telegram adapter remembers of a database outage."""

    def __init__(
        self,
        *,
        redelivered: bool = False,
        first_delay: float = FIRST_DELAY_SECONDS,
        max_delay: float = MAX_DELAY_SECONDS,
        sleep: Sleep | None = None,
    ) -> None:
        # True in webhook mode: Telegram brings an update back after a non-2xx answer.
        self.redelivered = redelivered
        self.first_delay = first_delay
        self.max_delay = max_delay
        self._sleep = sleep  # tests inject one; otherwise the pause ends early on `stop`
        self._stopping = asyncio.Event()
        self._told: set[int] = set()
        self._unprocessed: set[int] = set()

    def first_notice(self, chat_id: int) -> bool:
        """True the first time a chat meets this outage (then it gets the apology)."""
        if chat_id in self._told:
            return False
        self._told.add(chat_id)
        return True

    def recovered(self) -> None:
        """The database answered again: the next outage is a new one for every chat."""
        self._told.clear()

    def delays(self) -> Iterator[float]:
        """The pauses between attempts: doubling from `first_delay` up to `max_delay`."""
        delay = self.first_delay
        while True:
            yield delay
            delay = min(delay * 2, self.max_delay)

    async def pause(self, seconds: float) -> bool:
        """Waits before the next attempt; False when the bot is stopping (stop retrying)."""
        if self._stopping.is_set():
            return False
        if self._sleep is not None:
            await self._sleep(seconds)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), seconds)
        return not self._stopping.is_set()

    def stop(self) -> None:
        """The bot is shutting down: pending retries give up instead of holding it open."""
        self._stopping.set()

    def leave_unprocessed(self, update_id: int) -> None:
        """Marks an update that was not processed (the webhook then refuses it)."""
        self._unprocessed.add(update_id)

    def was_left_unprocessed(self, update_id: int) -> bool:
        """Whether `update_id` was left unprocessed; forgets it."""
        if update_id in self._unprocessed:
            self._unprocessed.discard(update_id)
            return True
        return False
