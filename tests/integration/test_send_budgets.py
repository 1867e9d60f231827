"""Sending budgets: two dispatchers on one PostgreSQL share SMS_RATE_PER_SECOND, not double it.

The budget test runs real time (a second and a half) against the test's PostgreSQL; SQLite keeps
the in-process pacing (tests/integration/test_outbox_dispatcher.py). The paid-broadcast tests
run on both databases, through python-telegram-bot's real `Bot` against the fake Bot API.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.config import Settings
from bot.services import broadcasts
from bot.services.container import Services
from bot.storage.db import create_engine, create_session_factory
from notificaciones import outbox
from notificaciones.budgets import TELEGRAM, Budget, SharedBudgets, chat_budget_name, waits
from notificaciones.dispatcher import BROADCAST_KIND, Dispatcher
from notificaciones.gateways.sms import ConsoleSmsGateway, SendOutcome, SendResult
from notificaciones.outbox import TurnReply, enqueue_replies
from notificaciones.outbox_states import ClaimedMessage
from notificaciones.reply_lane import ReplyLane
from tests.integration.test_telegram_sender import OK, RefusingBotApi, _sender
from tests.support.clock import FakeClock

RATE = 20.0
MESSAGES = 30


def _needs_postgres(services: Services) -> None:
    if services.engine.dialect.name != "postgresql":
        pytest.skip("shared budgets live in PostgreSQL; run with TEST_DATABASE_URL")


async def _enqueue_sms(services: Services, clock: FakeClock, count: int) -> None:
    async with services.session_factory() as session, session.begin():
        for i in range(count):
            await outbox.enqueue(
                session,
                channel="sms",
                address=f"+5939910{i:05d}",
                body="Aviso de prueba",
                kind="test",
                dedupe_key=f"budget:{i}",
                due_at=clock(),
                now=clock(),
            )


async def test_two_dispatchers_together_send_at_the_configured_rate(
    services: Services, clock: FakeClock
) -> None:
    _needs_postgres(services)
    await _enqueue_sms(services, clock, MESSAGES)
    settings = services.settings.model_copy(update={"sms_rate_per_second": RATE})
    sent_at: list[float] = []

    async def replica() -> int:
        # Its own engine: its own connections, as another process would have.
        engine = create_engine(settings.database_url)
        factory = create_session_factory(engine)
        gateway = ConsoleSmsGateway(write=lambda _line: sent_at.append(time.monotonic()))
        dispatcher = Dispatcher.from_settings(factory, settings, gateway, clock=clock)
        dispatcher.budgets = SharedBudgets.from_settings(factory, settings)
        dispatcher.batch_size = 5  # both replicas keep claiming until the outbox is empty
        try:
            return (await dispatcher.run_until_idle()).sent
        finally:
            await engine.dispose()

    counts = await asyncio.gather(replica(), replica())

    assert sum(counts) == MESSAGES and min(counts) > 0  # both sent a share
    # From the second send: the first one carries the gateway's start-up (it is late, not early).
    times = sorted(sent_at)[1:]
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert rate <= RATE * 1.05  # alone, each would send at RATE: together 2 × RATE
    assert rate >= RATE * 0.6


async def test_concurrent_takers_queue_up_in_one_budget(services: Services) -> None:
    _needs_postgres(services)
    budgets = SharedBudgets.from_settings(services.session_factory, services.settings)
    budget = Budget("test-budget", rate=10.0)

    waits = await asyncio.gather(*(budgets.take(budget) for _ in range(10)))

    # One token was there; the other nine are reservations 0.1 s apart, whoever asked first.
    assert sorted(round(w, 1) for w in waits) == [round(0.1 * i, 1) for i in range(10)]


async def test_a_chat_budget_holds_no_chat_id() -> None:
    name = chat_budget_name("5550013")
    assert "5550013" not in name and len(name) <= 80
    assert name == chat_budget_name("5550013") != chat_budget_name("5550014")


async def _broadcast_notice(services: Services, clock: FakeClock, kind: str) -> None:
    async with services.session_factory() as session, session.begin():
        await outbox.enqueue(
            session,
            channel="telegram",
            address=str(OK),
            body="Feria de servicios el sábado",
            kind=kind,
            dedupe_key=f"{kind}:1:telegram:{OK}",
            due_at=clock(),
            now=clock(),
        )


@pytest.mark.parametrize(
    ("allowed", "kind", "paid"),
    [(True, "broadcast", True), (False, "broadcast", False), (True, "caso", False)],
)
async def test_broadcast_notices_go_as_paid_broadcast_only_when_allowed(
    services: Services, clock: FakeClock, allowed: bool, kind: str, paid: bool
) -> None:
    settings: Settings = services.settings.model_copy(
        update={"telegram_allow_paid_broadcast": allowed}
    )
    api = RefusingBotApi()
    await _broadcast_notice(services, clock, kind)
    dispatcher = Dispatcher(
        services.session_factory,
        settings,
        ConsoleSmsGateway(write=lambda _line: None),
        telegram=_sender(settings, api),
        clock=clock,
    )

    assert (await dispatcher.run_until_idle()).sent == 1

    [call] = api.sent(OK)
    assert bool(call.params.get("allow_paid_broadcast")) is paid


def test_the_dispatcher_knows_the_broadcast_kind_by_its_name() -> None:
    assert BROADCAST_KIND == broadcasts.KIND  # a floor above the dispatcher: named twice


def test_the_tokens_of_one_take_are_spaced_by_the_rate() -> None:
    budget = Budget("test", rate=10.0)
    assert waits(budget, balance=0.0, count=1) == [0.0]
    # Three taken from a full bucket (one token): the first now, then 0.1 s apart.
    assert [round(w, 2) for w in waits(budget, balance=-2.0, count=3)] == [0.0, 0.1, 0.2]


async def test_two_reply_lanes_share_the_bots_telegram_budget(
    services: Services, clock: FakeClock
) -> None:
    _needs_postgres(services)
    chats = [f"7700{i:03d}" for i in range(MESSAGES)]
    async with services.session_factory() as session, session.begin():
        for chat in chats:
            replies = [TurnReply("Su respuesta")]
            await enqueue_replies(
                session,
                channel="telegram",
                address=chat,
                turn_key="1",
                replies=replies,
                now=clock(),
            )
    sent_at: list[float] = []

    async def send(_message: ClaimedMessage) -> SendOutcome:
        sent_at.append(time.monotonic())
        return SendOutcome(SendResult.ACCEPTED, provider_status="sent")

    async def replica(mine: list[str]) -> int:
        engine = create_engine(services.settings.database_url)  # another process's connections
        lane = ReplyLane(
            channel="telegram",
            send=send,
            session_factory=create_session_factory(engine),
            clock=clock,
            max_attempts=3,
            budget=Budget(TELEGRAM, RATE),
        )
        try:
            return sum(await asyncio.gather(*(lane.send_pending(chat) for chat in mine)))
        finally:
            await lane.aclose()
            await engine.dispose()

    counts = await asyncio.gather(replica(chats[::2]), replica(chats[1::2]))

    assert sum(counts) == MESSAGES
    times = sorted(sent_at)
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert RATE * 0.6 <= rate <= RATE * 1.05  # together, not 2 × RATE
