"""Long polling that acknowledges an update to Telegram only once its turn has committed.

`getUpdates(offset)` is Telegram's acknowledgement: the updates below `offset` are forgotten,
every other one comes back with the next call. python-telegram-bot's `Updater` moves the offset
as soon as a batch is queued in memory, so a crash lost the messages of that queue; here the
offset moves past an update only once its handler returned (its turn committed with its replies
in the outbox, or its failure answered), and a crash makes Telegram deliver it again (the
ledger, `bot.flows.turns`, then sends only what is still unsent).

- A batch's updates run with each chat's in update_id order and different chats concurrently
  (through the caller's `process`: the Application's update processor, its concurrency limit).
- The offset is the lowest update not finished: a slow turn holds back the acknowledgement of
  the later ones, not their processing. Telegram returns those again with every poll until
  then; only new ones are parsed and run. While updates run, a poll (which Telegram answers at
  once with them) looks for new ones every `stalled` seconds, never in a spin; at most `limit`
  updates (Telegram's 100) are pending at once.
- An update `process` left unprocessed (the database down while the bot stops) stays
  unacknowledged and its chat's later updates wait behind it: it runs again from a later poll,
  after a growing pause, or after the next start.
- Network errors and timeouts: polled again after a growing pause (up to 30 s), as PTB does;
  RetryAfter: after the pause Telegram asks for; Conflict (another process polls with this
  token, or a webhook is set): logged and retried like PTB; InvalidToken: logged, raised.
- Stop: no new poll, running turns finish (queued ones stay for the next start), then one last
  getUpdates with the offset acknowledges what finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import timedelta
from enum import Enum
from typing import Any

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError, TimedOut
from telegram.ext import ExtBot

log = logging.getLogger(__name__)

Process = Callable[[Update], Awaitable[bool]]
"""Runs one update; True when it is finished (to acknowledge), False when left unprocessed."""

POLL_TIMEOUT_SECONDS = 10.0  # Telegram holds an empty long poll this long (PTB's default)
READ_SLACK_SECONDS = 10.0  # beyond the poll's timeout before the HTTP read gives up
LIMIT = 100  # Telegram's most updates per getUpdates
STALLED_SECONDS = 0.01  # a poll waiting on running updates still looks for new ones this often
FIRST_PAUSE_SECONDS = 1.0
MAX_PAUSE_SECONDS = 30.0


class _State(Enum):
    RUNNING = "running"
    DONE = "done"
    LEFT = "left"


class UpdateWindow:
    """The updates fetched and not acknowledged yet, by update_id (Telegram's order)."""

    def __init__(self) -> None:
        self._states: dict[int, _State] = {}  # insertion order is update_id order
        self._next = 0  # one more than the highest update_id seen

    @property
    def offset(self) -> int:
        """The getUpdates offset: the first update not finished, else the next new one."""
        return next(iter(self._states), self._next)

    def __len__(self) -> int:
        return len(self._states)

    @property
    def has_left(self) -> bool:
        """Whether an update was left unprocessed (it must run again)."""
        return _State.LEFT in self._states.values()

    def take(self, update_id: int, *, retry: bool) -> bool:
        """Whether a fetched update runs now: a new one, or one left before when `retry`."""
        state = self._states.get(update_id)
        if state is None:
            if update_id < self._next:
                return False  # acknowledged already
            self._states[update_id] = _State.RUNNING
            self._next = update_id + 1
            return True
        if state is _State.LEFT and retry:
            self._states[update_id] = _State.RUNNING
            return True
        return False

    def finish(self, update_id: int) -> None:
        """The update's handler returned: acknowledged once every earlier one is too."""
        if update_id in self._states:
            self._states[update_id] = _State.DONE
        while self._states:
            first = next(iter(self._states))
            if self._states[first] is not _State.DONE:
                break
            del self._states[first]

    def leave(self, update_id: int) -> None:
        """The update was not processed: it is not acknowledged and runs again."""
        if update_id in self._states:
            self._states[update_id] = _State.LEFT


class UpdatePoller:
    """Polls getUpdates and runs each update through `process`, acknowledging finished ones."""

    def __init__(
        self,
        bot: Bot,
        process: Process,
        *,
        timeout: float = POLL_TIMEOUT_SECONDS,
        limit: int = LIMIT,
        stalled: float = STALLED_SECONDS,
        first_pause: float = FIRST_PAUSE_SECONDS,
    ) -> None:
        self.bot = bot
        self.process = process
        self.timeout = timeout
        self.limit = limit
        self.stalled = stalled
        self.first_pause = first_pause  # after a failed poll, and before retrying a left update
        self.window = UpdateWindow()
        self._room = max(1, limit // 2)  # with less room than this, new ones are looked for less
        self._queues: dict[int, deque[Update]] = {}
        self._held: set[int] = set()  # chats whose earlier update was left unprocessed
        self._tasks: set[asyncio.Task[None]] = set()
        self._progress = asyncio.Event()  # an update finished or was left: the window changed
        self._stopping = asyncio.Event()
        self._retry_at = 0.0
        self._left_pause = first_pause
        self._failures = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Polls until `stop` is set; then lets running turns finish and acknowledges them."""
        watcher = asyncio.create_task(self._watch(stop))
        acknowledged = self.window.offset
        try:
            await self._delete_webhook()
            while await self._ready():
                batch = await self._poll(self.window.offset, self.timeout, self.limit)
                if batch and not self._stopping.is_set():
                    self._admit(batch)
        finally:
            self._stopping.set()
            watcher.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            if self.window.offset > acknowledged:
                await self._acknowledge()

    async def _watch(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._stopping.set()

    async def _ready(self) -> bool:
        """Waits until a poll can bring something new; False once stopping.

        Nothing running: at once (a long poll). Otherwise Telegram would answer at once with
        the running updates, so the next look for new ones waits `stalled` seconds (five times
        that while less than half the window is free), or until an update left unprocessed is
        due again; with the window full, until updates finish.
        """
        since = time.monotonic()
        while not self._stopping.is_set():
            self._progress.clear()
            pending = len(self.window)
            room = self.limit - pending
            now = time.monotonic()
            if pending == 0:
                break
            if self.window.has_left and now >= self._retry_at:
                break
            due = since + (self.stalled if room >= self._room else 5 * self.stalled)
            if room > 0 and now >= due:
                break
            until = due if room > 0 else now + MAX_PAUSE_SECONDS
            if self.window.has_left:
                until = min(until, self._retry_at)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._progress.wait(), max(0.0, until - now))
        return not self._stopping.is_set()

    async def _poll(self, offset: int, wait: float, limit: int) -> list[dict[str, Any]] | None:
        """One getUpdates (cancelled by a stop); None after an error (once paused)."""
        call = asyncio.ensure_future(self._get_updates(offset, wait, limit))
        stopping = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait({call, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not call.done():
            call.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await call
            return None
        try:
            batch = call.result()
        except InvalidToken:
            log.error("Telegram refused the bot token: polling stops")
            raise
        except RetryAfter as error:
            await self._pause(_seconds(error.retry_after) + 0.5)
            return None
        except TimedOut:
            # A long poll that outlived its read timeout: poll again at once, the next in a row
            # after a pause (PTB retries timeouts at once).
            self._failures += 1
            if self._failures > 1:
                await self._pause(self._failure_pause())
            return None
        except Conflict:
            self._failures += 1
            pause = self._failure_pause()
            log.error(
                "another process polls with this bot token, or a webhook is set; "
                "polling again in %.0f s",
                pause,
            )
            await self._pause(pause)
            return None
        except TelegramError as error:
            self._failures += 1
            pause = self._failure_pause()
            log.warning("getUpdates failed (%s); polling again in %.1f s", error, pause)
            await self._pause(pause)
            return None
        except Exception:
            self._failures += 1
            pause = self._failure_pause()
            log.exception("getUpdates answer could not be read; polling again in %.1f s", pause)
            await self._pause(pause)
            return None
        self._failures = 0
        return batch

    async def _get_updates(self, offset: int, wait: float, limit: int) -> list[dict[str, Any]]:
        """getUpdates as JSON: only the updates not seen before are parsed (see `_admit`).

        `Bot.get_updates` would parse every update returned, also those returned again while
        earlier ones run: a third of a millisecond each.
        """
        data = {
            "offset": offset,
            "timeout": wait,
            "limit": limit,
            "allowed_updates": Update.ALL_TYPES,
        }
        # `_post` is what `Bot.get_updates` calls before parsing (and skips the rate limiter).
        result = await self.bot._post("getUpdates", data, read_timeout=wait + READ_SLACK_SECONDS)
        if not isinstance(result, list):
            raise TypeError("getUpdates did not answer a list")
        return result

    def _admit(self, batch: list[dict[str, Any]]) -> None:
        """Queues the new updates of a batch (and, when due, those left unprocessed)."""
        retry = self.window.has_left and time.monotonic() >= self._retry_at
        if retry:
            self._held.clear()
        for raw in batch:
            update_id = raw.get("update_id")
            if not isinstance(update_id, int) or not self.window.take(update_id, retry=retry):
                continue
            try:
                update = Update.de_json(raw, self.bot)
                if isinstance(self.bot, ExtBot):
                    self.bot.insert_callback_data(update)  # as ExtBot.get_updates does
            except Exception:
                log.exception("update %s could not be read: acknowledged unprocessed", update_id)
                self.window.finish(update_id)
                continue
            chat = update.effective_chat.id if update.effective_chat else None
            if chat is None:
                self._spawn(self._run_alone(update))
            elif chat in self._held:
                self.window.leave(update_id)  # behind the chat's update left unprocessed
            elif chat in self._queues:
                self._queues[chat].append(update)
            else:
                self._queues[chat] = deque([update])
                self._spawn(self._run_chat(chat))

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_chat(self, chat: int) -> None:
        """Runs a chat's queued updates one after the other, in update_id order."""
        queue = self._queues[chat]
        try:
            while queue and not self._stopping.is_set():
                if not await self._run(queue.popleft()):
                    self._held.add(chat)
                    break
        finally:
            for later in queue:  # behind one left unprocessed, or the bot is stopping
                self.window.leave(later.update_id)
            del self._queues[chat]

    async def _run_alone(self, update: Update) -> None:
        await self._run(update)

    async def _run(self, update: Update) -> bool:
        """Processes one update and records whether it may be acknowledged."""
        try:
            finished = await self.process(update)
        except Exception:
            # PTB's error handler saw the handlers' errors; this one escaped it. Run again it
            # would fail again and hold every later update back: it is acknowledged.
            log.exception("update %s failed outside its handlers", update.update_id)
            finished = True
        if finished:
            self.window.finish(update.update_id)
            self._left_pause = self.first_pause
        else:
            self.window.leave(update.update_id)
            self._retry_at = time.monotonic() + self._left_pause
            self._left_pause = min(self._left_pause * 2, MAX_PAUSE_SECONDS)
        self._progress.set()
        return finished

    async def _delete_webhook(self) -> None:
        """No webhook may be set while polling (PTB's bootstrap does the same)."""
        while not self._stopping.is_set():
            try:
                await self.bot.delete_webhook()
                return
            except InvalidToken:
                log.error("Telegram refused the bot token: polling stops")
                raise
            except TelegramError as error:
                self._failures += 1
                pause = self._failure_pause()
                log.warning("deleteWebhook failed (%s); again in %.1f s", error, pause)
                await self._pause(pause)
        return

    async def _acknowledge(self) -> None:
        """The last getUpdates: tells Telegram which updates finished (no long poll)."""
        try:
            await self._get_updates(self.window.offset, 0, 1)
        except Exception as error:
            log.warning(
                "could not acknowledge the last updates (%s): they come back at the next start "
                "and are not run twice",
                type(error).__name__,
            )

    def _failure_pause(self) -> float:
        return float(min(MAX_PAUSE_SECONDS, self.first_pause * 1.5 ** (self._failures - 1)))

    async def _pause(self, seconds: float) -> None:
        """Waits `seconds`, or less when the bot stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
