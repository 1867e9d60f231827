"""The polling loop acknowledges an update to Telegram only once its handler returned.

A real PTB `Bot` on the in-memory fake Bot API (`FakeBotApi`, whose getUpdates keeps every
update until an offset confirms it, as Telegram does); `process` is the test's own, so each
test decides when a turn finishes. No network, no sleeps beyond the loop's own short pauses.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import ExtBot
from telegram.request import RequestData

from bot.handlers.telegram.polling import UpdatePoller, UpdateWindow
from tests.support.fake_bot_api import EPOCH, FakeBotApi


def _message(update_id: int, chat: int, text: str = "hola") -> dict[str, Any]:
    sender = {"id": chat, "is_bot": False, "first_name": "Ana", "language_code": "es"}
    message = {
        "message_id": update_id,
        "date": EPOCH,
        "chat": {"id": chat, "type": "private", "first_name": "Ana"},
        "from": sender,
        "text": text,
    }
    return {"update_id": update_id, "message": message}


class FlakyBotApi(FakeBotApi):
    """Fails the first `failures` getUpdates with `error` (a network error by default)."""

    def __init__(self, failures: int = 0, error: Exception | None = None) -> None:
        super().__init__()
        self.failures = failures
        self.error = error or NetworkError("connection reset")

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **kwargs: Any
    ) -> tuple[int, bytes]:
        if url.endswith("/getUpdates") and self.failures:
            self.failures -= 1
            raise self.error
        return await super().do_request(url, method, request_data, **kwargs)


@pytest.fixture
async def api() -> FakeBotApi:
    return FakeBotApi()


async def _bot(api: FakeBotApi) -> ExtBot[None]:
    bot: ExtBot[None] = ExtBot("123456:TEST-TOKEN", request=api, get_updates_request=api)
    await bot.initialize()
    return bot


class Turns:
    """The test's `process`: records what ran, in order; a held update waits for release."""

    def __init__(self) -> None:
        self.started: list[int] = []
        self.finished: list[int] = []
        self.held: dict[int, asyncio.Event] = {}
        self.leave_once: set[int] = set()

    def hold(self, update_id: int) -> asyncio.Event:
        self.held[update_id] = asyncio.Event()
        return self.held[update_id]

    async def __call__(self, update: Update) -> bool:
        self.started.append(update.update_id)
        gate = self.held.get(update.update_id)
        if gate is not None:
            await gate.wait()
        if update.update_id in self.leave_once:
            self.leave_once.discard(update.update_id)
            return False
        self.finished.append(update.update_id)
        return True


async def _until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - the condition has no event to await
            await asyncio.sleep(0.005)


class Running:
    """A poller running in the background until `stop()`."""

    def __init__(self, poller: UpdatePoller) -> None:
        self.poller = poller
        self.stop_event = asyncio.Event()
        self.task = asyncio.create_task(poller.run(self.stop_event))

    async def stop(self) -> None:
        self.stop_event.set()
        await asyncio.wait_for(self.task, 5)


@pytest.fixture
async def running() -> AsyncIterator[Callable[[UpdatePoller], Running]]:
    started: list[Running] = []

    def start(poller: UpdatePoller) -> Running:
        started.append(Running(poller))
        return started[-1]

    yield start
    for run in started:
        if not run.task.done():
            run.stop_event.set()
            run.task.cancel()


def test_the_offset_is_the_first_update_not_finished() -> None:
    window = UpdateWindow()
    for update_id in (10, 11, 12):
        assert window.take(update_id, retry=False)
    window.finish(11)
    assert window.offset == 10  # 11 is done, but 10 still runs
    window.finish(10)
    assert window.offset == 12
    window.finish(12)
    assert (window.offset, len(window)) == (13, 0)
    assert not window.take(11, retry=False)  # acknowledged: never run again


def test_an_update_left_unprocessed_is_taken_again_only_when_retried() -> None:
    window = UpdateWindow()
    window.take(5, retry=False)
    window.leave(5)
    assert window.offset == 5 and window.has_left
    assert not window.take(5, retry=False)
    assert window.take(5, retry=True)
    window.finish(5)
    assert window.offset == 6 and not window.has_left


async def test_an_update_is_acknowledged_only_once_its_turn_finished(
    api: FakeBotApi, running: Callable[[UpdatePoller], Running]
) -> None:
    turns = Turns()
    slow = turns.hold(1)
    api.updates.offer(_message(1, chat=100))
    api.updates.offer(_message(2, chat=200))
    run = running(UpdatePoller(await _bot(api), turns, timeout=1))
    await _until(lambda: 2 in turns.finished)
    await asyncio.sleep(0.1)  # several polls happen meanwhile
    assert 1 not in turns.finished
    assert api.updates.confirmed <= 1  # the other chat ran, but update 1 is not acknowledged
    assert [u["update_id"] for u in api.updates.pending] == [1, 2]
    slow.set()
    await _until(lambda: api.updates.confirmed == 3)
    await run.stop()
    assert sorted(turns.started) == [1, 2]  # each ran once, though fetched again and again


async def test_a_chat_runs_its_updates_in_order_one_at_a_time(
    api: FakeBotApi, running: Callable[[UpdatePoller], Running]
) -> None:
    turns = Turns()
    first = turns.hold(1)
    for update_id in (1, 2, 3):
        api.updates.offer(_message(update_id, chat=100))
    api.updates.offer(_message(4, chat=200))
    run = running(UpdatePoller(await _bot(api), turns, timeout=1))
    await _until(lambda: 4 in turns.finished)
    assert turns.started == [1, 4]  # 2 and 3 wait behind 1; the other chat does not
    first.set()
    await _until(lambda: api.updates.confirmed == 5)
    await run.stop()
    assert [u for u in turns.finished if u != 4] == [1, 2, 3]


async def test_a_poll_waiting_on_a_slow_turn_does_not_spin(
    api: FakeBotApi, running: Callable[[UpdatePoller], Running]
) -> None:
    turns = Turns()
    slow = turns.hold(1)
    api.updates.offer(_message(1, chat=100))
    run = running(UpdatePoller(await _bot(api), turns, timeout=1, stalled=0.05))
    await _until(lambda: turns.started == [1])
    before = api.updates.polls
    await asyncio.sleep(0.5)
    assert api.updates.polls - before <= 12  # one look for new updates every 50 ms at most
    api.updates.offer(_message(2, chat=200))  # a new chat is still served meanwhile
    await _until(lambda: 2 in turns.finished, seconds=1)
    slow.set()
    await run.stop()


async def test_stopping_finishes_running_turns_and_acknowledges_them(
    api: FakeBotApi, running: Callable[[UpdatePoller], Running]
) -> None:
    turns = Turns()
    running_one = turns.hold(1)
    for update_id in (1, 2):
        api.updates.offer(_message(update_id, chat=100))
    run = running(UpdatePoller(await _bot(api), turns, timeout=1))
    await _until(lambda: turns.started == [1])
    run.stop_event.set()
    await asyncio.sleep(0.05)
    assert not run.task.done()  # waits for the running turn
    running_one.set()
    await asyncio.wait_for(run.task, 5)
    assert turns.finished == [1]  # the queued one is left for the next start
    assert api.updates.confirmed == 2  # the last getUpdates acknowledged update 1 only
    assert [u["update_id"] for u in api.updates.pending] == [2]


async def test_updates_not_acknowledged_before_a_crash_are_run_by_the_next_process(
    api: FakeBotApi, running: Callable[[UpdatePoller], Running]
) -> None:
    turns = Turns()
    never = turns.hold(2)
    for update_id in (1, 2, 3):
        api.updates.offer(_message(update_id, chat=100 + update_id))
    crashed = running(UpdatePoller(await _bot(api), turns, timeout=1))
    await _until(lambda: sorted(turns.finished) == [1, 3])
    while not crashed.task.done():  # the process dies: no clean stop, no last acknowledgement
        crashed.task.cancel()
        await asyncio.sleep(0.01)
    with contextlib.suppress(asyncio.CancelledError):
        await crashed.task
    acknowledged = api.updates.confirmed
    assert acknowledged <= 2
    again = Turns()
    restarted = running(UpdatePoller(await _bot(api), again, timeout=1))
    await _until(lambda: api.updates.confirmed == 4)
    await restarted.stop()
    never.set()
    # 2 never finished, 3 finished after it: both delivered again (and 1 if not yet acknowledged)
    assert again.started == [u for u in (1, 2, 3) if u >= acknowledged]


async def test_an_update_left_unprocessed_runs_again_later_and_its_chat_waits(
    api: FakeBotApi, running: Callable[[UpdatePoller], Running]
) -> None:
    turns = Turns()
    turns.leave_once = {1}
    api.updates.offer(_message(1, chat=100, text="first"))
    api.updates.offer(_message(2, chat=100, text="second"))
    api.updates.offer(_message(3, chat=200))
    run = running(UpdatePoller(await _bot(api), turns, timeout=1, first_pause=0.2))
    await _until(lambda: 3 in turns.finished)
    assert api.updates.confirmed <= 1
    await _until(lambda: api.updates.confirmed == 4, seconds=5)  # after a pause
    await run.stop()
    assert turns.started == [1, 3, 1, 2]  # 2 never ran before 1


async def test_network_errors_are_survived_with_a_pause(
    running: Callable[[UpdatePoller], Running],
) -> None:
    api = FlakyBotApi(failures=3)
    turns = Turns()
    api.updates.offer(_message(1, chat=100))
    run = running(UpdatePoller(await _bot(api), turns, timeout=1, first_pause=0.05))
    await _until(lambda: turns.finished == [1], seconds=10)
    await run.stop()
    assert api.failures == 0


async def test_a_refused_token_stops_polling_with_its_error() -> None:
    api = FlakyBotApi(failures=1, error=InvalidToken("Unauthorized"))
    poller = UpdatePoller(await _bot(api), Turns(), timeout=1)
    with pytest.raises(InvalidToken):
        await asyncio.wait_for(poller.run(asyncio.Event()), 5)
