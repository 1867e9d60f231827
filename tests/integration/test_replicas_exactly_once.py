"""Two webhook replicas on one PostgreSQL: every message answered once, in order, under kill -9.

Real processes: a fake Bot API server, and two replicas each running the product's webhook mode
(`bot.runtime.modes.run_webhook`: the Telegram webhook, the dispatcher and the scheduler). The
test plays Telegram: every update of 300 chats is posted to one replica and, 20 ms later while
the first is still waiting its turn, to the other (a duplicate, as Telegram makes when an answer
is late; the replica posted first alternates), a chat's next update follows 10 ms later
without waiting for the answer (a fast typist), and an update whose request fails is posted
again, to the other replica, until one answers 200. Replica A kills itself with SIGKILL at one
point of a turn (before its commit, after its commit before the send, after the send before the
outcome is stored), is started again at the next point, then runs without faults.

Meanwhile both replicas' dispatchers send `SMS_COUNT` queued SMS through a fake Twilio process
(the real `twilio` client, `TWILIO_BASE_URL`); replica A's kills land wherever its dispatcher is
(claimed, sending, settling), and a send it left unfinished is reconciled with Twilio's message
list once its lease is dead: every phone must get its SMS exactly once.

Every chat must then have received exactly the replies that a control chat, talked to alone
and without faults, received: 0 duplicated, 0 out of order, and 0 lost except the replies whose
Bot API request was in flight in the killed process at the instant of the kill (claimed, then
the process vanished): Telegram has no idempotency key, so such a reply is left SENDING for
reconciliation, never sent twice. The test counts those rows and requires every lost reply to
be one of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from bot.storage.db import create_engine, create_session_factory
from notificaciones.outbox import NewMessage, enqueue_many
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
    pytest.mark.skipif(postgres_url() is None, reason="replicas share one PostgreSQL database"),
]

SECRET = "replica-test-secret"
CHATS = 300
SCRIPT = ("hola", "/pago", "12345")
CRASH_AT = 25  # the point's 25th passage in that run of replica A
# The duplicate follows the original by less than the replicas' TURN_ORDER_WAIT_MS (200 ms), so
# both are recorded and waiting at once. Posted at the very same instant, whichever replica's event
# loop ran a few milliseconds ahead took every turn, and replica A could go a whole run without
# reaching its crash point (seen in CI: killed 0 times).
DUPLICATE_LAG = 0.02
IN_FLIGHT_CHATS = 20
UPDATE_IDS = itertools.count(10_000)
SMS_COUNT = 1000


class Replica(CrashingProcess):
    """One webhook replica process, restarted with the next crash point after each death."""

    def __init__(self, name: str, env: dict[str, str], crash_points: tuple[str, ...]) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/telegram/webhook"
        super().__init__(
            "webhook", {**env, "WEB_PORT": str(self.port)}, crash_points, crash_at=CRASH_AT
        )


class Telegram:
    """Posts updates as Telegram does: again, to another replica, until one answers 200."""

    def __init__(self, http: aiohttp.ClientSession, replicas: list[Replica]) -> None:
        self.http = http
        self.replicas = replicas

    async def _post_until_ok(self, update: dict[str, Any], first: int) -> None:
        deadline = time.monotonic() + 90
        for attempt in itertools.count():
            replica = self.replicas[(first + attempt) % len(self.replicas)]
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with self.http.post(
                    replica.url,
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                    timeout=aiohttp.ClientTimeout(total=20),
                ) as response:
                    if response.status == 200:
                        return
            if time.monotonic() > deadline:
                raise AssertionError("an update was never accepted")
            await asyncio.sleep(0.2)

    async def deliver(self, update: dict[str, Any], first: int) -> None:
        """The update to one replica and, `DUPLICATE_LAG` later, its duplicate to the other."""

        async def duplicate() -> None:
            await asyncio.sleep(DUPLICATE_LAG)
            await self._post_until_ok(update, first + 1)

        await asyncio.gather(self._post_until_ok(update, first), duplicate())

    async def chat(self, chat: int, *, stagger: float) -> None:
        """The script of one chat: each message 10 ms after the previous, none awaited."""
        sends = []
        for index, words in enumerate(SCRIPT):
            update = text_update(next(UPDATE_IDS), chat, words)
            sends.append(asyncio.create_task(self.deliver(update, first=chat + index)))
            await asyncio.sleep(stagger)
        await asyncio.gather(*sends)


@contextlib.contextmanager
def _processes(database_url: str) -> Iterator[tuple[str, str, list[Replica]]]:
    api_port, twilio_port = free_port(), free_port()
    env = product_env(database_url, api_port)
    env |= {
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "PUBLIC_BASE_URL": "https://conecta.example.gob.ec",
        "TURN_ORDER_WAIT_MS": "200",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "replica-test-token",
        "TWILIO_FROM_NUMBER": "+15005550006",
        "TWILIO_BASE_URL": f"http://127.0.0.1:{twilio_port}",
        "SMS_RATE_PER_SECOND": "200",
        "QUIET_HOURS_START": "00:00",  # equal ends: no quiet hours, whatever the test's time
        "QUIET_HOURS_END": "00:00",
        "DISPATCHER_HEARTBEAT_SECONDS": "1",
        "DISPATCHER_LEASE_SECONDS": "3",
        "SMS_SAFE_WINDOW_SECONDS": "30",  # a killed send not at Twilio is sent again after 30 s
    }
    api = start_module(["tests.support.bot_api_server", str(api_port)], env)
    twilio = start_module(["tests.support.twilio_server", str(twilio_port)], env)
    replicas = [Replica("A", env, CRASH_POINTS), Replica("B", env, ())]
    try:
        yield f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{twilio_port}", replicas
    finally:
        for replica in replicas:
            replica.stop()
        for server in (api, twilio):
            server.terminate()
            server.wait(10)


def _phone(n: int) -> str:
    return f"+5939{80_000_000 + n:08d}"


async def _queue_sms(database_url: str) -> None:
    """`SMS_COUNT` announcements, one per phone, due now (what a broadcast queues)."""
    engine = create_engine(database_url)
    now = datetime.now(UTC)
    messages = [
        NewMessage("sms", _phone(n), f"Aviso {n}", "announcement", f"replica-sms:{n}", now)
        for n in range(SMS_COUNT)
    ]
    try:
        async with create_session_factory(engine)() as session, session.begin():
            assert await enqueue_many(session, messages, now=now) == SMS_COUNT
    finally:
        await engine.dispose()


async def _texts_received(http: aiohttp.ClientSession, twilio: str) -> list[dict[str, Any]]:
    async with http.get(f"{twilio}/sent") as response:
        return list(await response.json())


async def _wait_ready(http: aiohttp.ClientSession, replicas: list[Replica]) -> None:
    deadline = time.monotonic() + 60
    for replica in replicas:
        health = replica.url.replace("/telegram/webhook", "/healthz")
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(health) as response:
                    if response.status == 200:
                        break
            assert time.monotonic() < deadline, f"replica {replica.name} never started"
            await asyncio.sleep(0.2)


async def test_every_message_is_answered_once_in_order_across_replicas_under_kill_9(
    database_url: str,
) -> None:
    with _processes(database_url) as (api, twilio, replicas):
        async with aiohttp.ClientSession() as http:
            await _wait_ready(http, replicas)
            telegram = Telegram(http, replicas)
            control = 90_000
            for index, words in enumerate(SCRIPT):  # alone, in order, no fault (replica B)
                await telegram._post_until_ok(text_update(next(UPDATE_IDS), control, words), 1)
                del index
            expected = [m["text"] for m in await sent_texts(http, api) if m["chat_id"] == control]
            assert len(expected) >= len(SCRIPT)

            stop = asyncio.Event()

            async def supervise() -> None:
                while not stop.is_set():
                    replicas[0].revive_if_dead()
                    await asyncio.sleep(0.05)

            supervisor = asyncio.create_task(supervise())
            slots = asyncio.Semaphore(IN_FLIGHT_CHATS)

            async def one_chat(chat: int) -> None:
                async with slots:
                    await telegram.chat(chat, stagger=0.01)

            chats = [100_000 + n for n in range(CHATS)]
            await _queue_sms(database_url)  # both dispatchers send them during the chats
            started = time.monotonic()
            await asyncio.gather(*(one_chat(chat) for chat in chats))
            # Replies a dead replica left queued go out from a dispatcher: wait for them.
            deadline = time.monotonic() + 30
            while True:
                sent = await sent_texts(http, api)
                answered = sum(1 for m in sent if m["chat_id"] != control)
                if answered >= CHATS * len(expected) or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.5)
            # SMS a killed dispatcher left SENDING are reconciled once its lease is dead.
            deadline = time.monotonic() + 120
            while len(await _texts_received(http, twilio)) < SMS_COUNT:
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(1.0)  # anything extra (a duplicate) would show now
            sms_received = await _texts_received(http, twilio)
            stop.set()
            await supervisor
            elapsed = time.monotonic() - started
            sent = await sent_texts(http, api)

    tally = Tally.of(sent, chats, expected)
    if os.environ.get("REPLICA_DEBUG"):
        print(*tally.samples, "expected", [t[:40] for t in expected], sep="\n")
    deaths = replicas[0].deaths
    in_flight = await left_sending(database_url)
    print(
        f"replicas: {CHATS} chats x {len(SCRIPT)} messages (each posted twice) in "
        f"{elapsed:.1f} s; replica A killed {len(deaths)} times; {tally.line(in_flight)}"
    )
    per_phone = Counter(message["to"] for message in sms_received)
    print(
        f"replicas: {SMS_COUNT} SMS queued, {len(sms_received)} received by Twilio, "
        f"{sum(1 for n in range(SMS_COUNT) if per_phone[_phone(n)] == 0)} lost, "
        f"{sum(1 for count in per_phone.values() if count > 1)} duplicated"
    )
    assert deaths == [-9] * len(CRASH_POINTS)  # killed once at each point of a turn
    assert all(per_phone[_phone(n)] == 1 for n in range(SMS_COUNT)), "every SMS exactly once"
    assert len(sms_received) == SMS_COUNT
    assert (tally.duplicated, tally.out_of_order) == (0, 0)
    # The after_send kill leaves its own (sent) reply SENDING: at most the others may be lost.
    assert tally.lost_replies <= max(0, in_flight - 1)
