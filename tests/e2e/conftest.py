"""A running Telegram Application against the fake Bot API, for whole conversations."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram.ext import Application

from bot.handlers.telegram.application import build_application
from bot.services.container import Services
from tests.support.fake_bot_api import FakeBotApi, TelegramUser, telegram_settings


@pytest.fixture
def bot_api() -> FakeBotApi:
    """The fake Bot API every request of the bot goes to."""
    return FakeBotApi()


@pytest.fixture
async def telegram_app(services: Services, bot_api: FakeBotApi) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The real Application (handlers, ordering, rate limiter) wired to the fake Bot API."""
    services.settings = telegram_settings(services.settings)
    app = build_application(services, request=bot_api, updates_request=bot_api)
    await app.initialize()
    yield app
    await app.shutdown()


@pytest.fixture
def citizen(telegram_app: Application, bot_api: FakeBotApi) -> TelegramUser:  # type: ignore[type-arg]
    """A citizen in a private chat with the bot."""
    return TelegramUser(telegram_app, bot_api)
