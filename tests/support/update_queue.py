"""Telegram's side of getUpdates, for the fake Bot APIs: updates kept until an offset confirms them.

As the real server does: `getUpdates(offset)` forgets every update below `offset` and returns
the others (at most `limit`, in update_id order) again and again until a later call confirms
them; with none to return it waits up to `timeout` seconds for one (a long poll).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


class UpdateQueue:
    """The updates offered to a bot and not yet confirmed by it."""

    def __init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self.confirmed = 0  # every update_id below this was confirmed (acknowledged)
        self.polls = 0

    def offer(self, update: dict[str, Any]) -> None:
        """Adds an update (update_ids must grow, as Telegram's do)."""
        self._updates.append(update)
        self._arrived.set()

    @property
    def pending(self) -> list[dict[str, Any]]:
        """The updates offered and not yet confirmed."""
        return list(self._updates)

    def confirm(self, offset: int) -> None:
        """Forgets the updates below `offset` (what a getUpdates with that offset does)."""
        if offset > self.confirmed:
            self.confirmed = offset
            self._updates = [u for u in self._updates if int(u["update_id"]) >= offset]

    async def get(self, offset: int | None, limit: int | None, wait: float) -> list[Any]:
        """getUpdates: confirms below `offset`, then returns what is left (waiting if nothing)."""
        self.polls += 1
        if offset:
            self.confirm(int(offset))
        if not self._updates and wait > 0:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), wait)
        return self._updates[: int(limit or 100)]
