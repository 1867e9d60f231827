"""The polling bot on PostgreSQL: every message answered once, in order, under kill -9.

Real processes: a fake Bot API server whose getUpdates honours offsets (an update is returned
again until an offset above it acknowledges it, as Telegram does) and one bot process running
the product's polling mode (`bot.runtime.modes.run_telegram`: long polling, the dispatcher and
the scheduler). The test plays the citizens: 150 chats send «hola», «/pago», «12345», each
message 10 ms after the previous one without waiting for the answer, 20 chats at a time. The
bot kills itself with SIGKILL at one point of a turn (before its commit, after its commit
before the send, after the send before the outcome is stored), is started again with the next
point, then runs without faults.

Every chat must then have received exactly the replies that a control chat, talked to alone
and without faults, received: 0 duplicated, 0 out of order, and 0 lost except the replies whose
Bot API request was in flight in the killed process at the instant of the kill (left SENDING
for reconciliation, never sent twice), as in `test_replicas_exactly_once`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from tests.support.database import postgres_url
from tests.support.fault_processes import (
    CRASH_POINTS,
    CrashingProcess,
    Tally,
    free_port,
    left_sending,
    product_env,
    sent_texts,
    start_module,
    text_update,
)

pytestmark = [
    pytest.mark.replicas,
    pytest.mark.skipif(postgres_url() is None, reason="the fault test runs on PostgreSQL"),
]

CHATS = 150
SCRIPT = ("hola", "/pago", "12345")
CRASH_AT = 40  # the point's 40th passage in that run of the bot
IN_FLIGHT_CHATS = 20
UPDATE_IDS = itertools.count(10_000)


class Citizens:
    """Offers updates to the fake Bot API, as citizens writing to the bot would."""

    def __init__(self, http: aiohttp.ClientSession, api: str) -> None:
        self.http = http
        self.api = api

    async def offer(self, update: dict[str, Any]) -> int:
        async with self.http.post(f"{self.api}/updates", json=[update]) as response:
            assert response.status == 200
        return int(update["update_id"])

    async def state(self) -> dict[str, int]:
        async with self.http.get(f"{self.api}/updates") as response:
            return dict(await response.json())

    async def until_acknowledged(self, update_id: int, seconds: float = 90) -> None:
        """Waits until the bot's offset passed `update_id` (its turn finished)."""
        deadline = time.monotonic() + seconds
        while (await self.state())["confirmed"] <= update_id:
            assert time.monotonic() < deadline, f"update {update_id} never acknowledged"
            await asyncio.sleep(0.05)

    async def chat(self, chat: int, *, stagger: float) -> int:
        """The script of one chat: each message `stagger` s after the previous, none awaited."""
        last = 0
        for words in SCRIPT:
            last = await self.offer(text_update(next(UPDATE_IDS), chat, words))
            await asyncio.sleep(stagger)
        return last


@contextlib.contextmanager
def _processes(database_url: str) -> Iterator[tuple[str, CrashingProcess]]:
    api_port = free_port()
    env = product_env(database_url, api_port)
    api = start_module(["tests.support.bot_api_server", str(api_port)], env)
    bot = CrashingProcess("polling", env, CRASH_POINTS, crash_at=CRASH_AT)
    try:
        yield f"http://127.0.0.1:{api_port}", bot
    finally:
        bot.stop()
        api.terminate()
        api.wait(10)


async def _wait_polling(citizens: Citizens) -> None:
    deadline = time.monotonic() + 60
    while True:
        with contextlib.suppress(aiohttp.ClientError):
            if (await citizens.state())["polls"] > 0:
                return
        assert time.monotonic() < deadline, "the bot never polled"
        await asyncio.sleep(0.2)


async def test_every_message_is_answered_once_in_order_by_a_polling_bot_under_kill_9(
    database_url: str,
) -> None:
    with _processes(database_url) as (api, bot):
        async with aiohttp.ClientSession() as http:
            citizens = Citizens(http, api)
            await _wait_polling(citizens)
            control = 90_000
            for words in SCRIPT:  # alone, in order, before any fault
                await citizens.until_acknowledged(
                    await citizens.offer(text_update(next(UPDATE_IDS), control, words))
                )
            expected = [m["text"] for m in await sent_texts(http, api) if m["chat_id"] == control]
            assert len(expected) >= len(SCRIPT)

            stop = asyncio.Event()

            async def supervise() -> None:
                while not stop.is_set():
                    bot.revive_if_dead()
                    await asyncio.sleep(0.05)

            supervisor = asyncio.create_task(supervise())
            slots = asyncio.Semaphore(IN_FLIGHT_CHATS)

            async def one_chat(chat: int) -> int:
                async with slots:
                    last = await citizens.chat(chat, stagger=0.01)
                    await citizens.until_acknowledged(last)
                    return last

            chats = [100_000 + n for n in range(CHATS)]
            started = time.monotonic()
            await asyncio.gather(*(one_chat(chat) for chat in chats))
            # Replies a killed bot left queued go out from a dispatcher: wait for them.
            deadline = time.monotonic() + 30
            while True:
                sent = await sent_texts(http, api)
                answered = sum(1 for m in sent if m["chat_id"] != control)
                if answered >= CHATS * len(expected) or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(1.0)  # anything extra (a duplicate) would show now
            stop.set()
            await supervisor
            elapsed = time.monotonic() - started
            sent = await sent_texts(http, api)
            pending = (await citizens.state())["pending"]

    tally = Tally.of(sent, chats, expected)
    if os.environ.get("REPLICA_DEBUG"):
        print(*tally.samples, "expected", [t[:40] for t in expected], sep="\n")
    in_flight = await left_sending(database_url)
    print(
        f"polling: {CHATS} chats x {len(SCRIPT)} messages in {elapsed:.1f} s; bot killed "
        f"{len(bot.deaths)} times; {tally.line(in_flight)}; unacknowledged {pending}"
    )
    assert bot.deaths == [-9] * len(CRASH_POINTS)  # killed once at each point of a turn
    assert pending == 0  # every update acknowledged in the end
    assert (tally.duplicated, tally.out_of_order) == (0, 0)
    # The after_send kill leaves its own (sent) reply SENDING: at most the others may be lost.
    assert tally.lost_replies <= max(0, in_flight - 1)
