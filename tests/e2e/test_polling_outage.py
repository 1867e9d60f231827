"""Polling mode keeps a message the database could not take and answers it when it is back.

While it retries, and when the bot stops before the database is back, the update is not
acknowledged: Telegram delivers it again after the restart.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application

from bot.handlers.outage import StorageOutage
from bot.handlers.telegram.application import OUTAGE_KEY, outage_of, poll_updates
from bot.services.container import Services
from bot.storage.db import SessionFactory, create_engine, create_session_factory
from tests.support.fake_bot_api import EPOCH, FakeBotApi

CHAT = 5550999


def _update(app: Application, update_id: int, text: str) -> Update:  # type: ignore[type-arg]
    chat = {"id": CHAT, "type": "private", "first_name": "Ana"}
    user = {"id": CHAT, "is_bot": False, "first_name": "Ana", "language_code": "es"}
    message = {"message_id": update_id, "date": EPOCH, "chat": chat, "from": user, "text": text}
    return Update.de_json({"update_id": update_id, "message": message}, app.bot)


class Outage:
    """A database that refuses connections until the retries have paused `attempts` times."""

    def __init__(self, services: Services, attempts: int) -> None:
        self.services = services
        self.working: SessionFactory = services.session_factory
        self.unreachable = create_engine("postgresql+asyncpg://mies@127.0.0.1:1/down")
        services.session_factory = create_session_factory(self.unreachable)
        self.attempts = attempts
        self.pauses: list[float] = []

    async def sleep(self, seconds: float) -> None:
        """The injected pause: lets the other updates run, and ends the outage in time."""
        self.pauses.append(seconds)
        for _ in range(5):
            await asyncio.sleep(0)  # a turn of the event loop, not a timed wait
        if len(self.pauses) >= self.attempts:
            self.services.session_factory = self.working


@pytest.fixture
async def outage(
    services: Services,
    telegram_app: Application,  # type: ignore[type-arg]
) -> AsyncIterator[Outage]:
    """An outage that ends after three pauses, wired into the bot's retry policy."""
    down = Outage(services, attempts=3)
    telegram_app.bot_data[OUTAGE_KEY] = StorageOutage(sleep=down.sleep)
    yield down
    services.session_factory = down.working
    await down.unreachable.dispose()


async def _process(app: Application, update: Update) -> Any:  # type: ignore[type-arg]
    return await app.update_processor.process_update(update, app.process_update(update))


async def test_messages_during_an_outage_are_answered_in_order_once_the_database_is_back(
    telegram_app: Application,  # type: ignore[type-arg]
    bot_api: FakeBotApi,
    outage: Outage,
) -> None:
    await asyncio.gather(
        _process(telegram_app, _update(telegram_app, 1, "/start")),
        _process(telegram_app, _update(telegram_app, 2, "/eventos Tacamoros")),
    )
    texts = bot_api.texts(CHAT)
    assert len(texts) == 3, texts
    apology, welcome, events = texts
    assert "No se perdió" in apology and "menú" not in apology  # one apology, no fresh start
    assert "Aviso de privacidad" in welcome  # the first message, answered first
    assert "Tacamoros (Sozoranga, Loja)" in events  # then the second one
    assert outage.pauses == [1.0, 2.0, 4.0]  # a growing pause between attempts


async def test_a_stopping_bot_stops_retrying_instead_of_holding_shutdown() -> None:
    outage = StorageOutage()
    outage.stop()
    assert await outage.pause(30.0) is False


async def test_a_message_the_database_never_took_is_not_acknowledged_and_comes_back_after_a_restart(
    telegram_app: Application,  # type: ignore[type-arg]
    bot_api: FakeBotApi,
    services: Services,
) -> None:
    down = Outage(services, attempts=1_000_000)  # lasts until the test ends it
    telegram_app.bot_data[OUTAGE_KEY] = StorageOutage(first_delay=0.01, max_delay=0.05)
    bot_api.updates.offer(_update(telegram_app, 7, "/start").to_dict())
    await telegram_app.start()
    try:
        stop = asyncio.Event()
        polling = asyncio.create_task(poll_updates(telegram_app, stop))
        async with asyncio.timeout(10):
            while not any("No se perdió" in t for t in bot_api.texts(CHAT)):  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        outage_of(telegram_app).stop()  # the bot stops while the database is still down
        stop.set()
        await asyncio.wait_for(polling, 10)
        assert bot_api.updates.confirmed <= 7  # not acknowledged: Telegram keeps it
        assert [u["update_id"] for u in bot_api.updates.pending] == [7]

        services.session_factory = down.working  # the database is back; the bot starts again
        telegram_app.bot_data[OUTAGE_KEY] = StorageOutage()
        stop = asyncio.Event()
        polling = asyncio.create_task(poll_updates(telegram_app, stop))
        async with asyncio.timeout(10):
            while bot_api.updates.confirmed < 8:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(polling, 10)
    finally:
        await telegram_app.stop()
        await down.unreachable.dispose()
    apology, welcome = bot_api.texts(CHAT)
    assert "No se perdió" in apology
    assert "Aviso de privacidad" in welcome  # answered once, after the restart
