"""One setting sizes both the Telegram adapter's concurrency and the database pool."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import pytest
from sqlalchemy import text

from bot.config import Settings
from bot.flows.base import Incoming
from bot.flows.engine import FlowEngine
from bot.flows.registry import build_flows
from bot.handlers.telegram.application import build_application
from bot.runtime.composition import build_services
from bot.storage.db import SPARE_CONNECTIONS, SQLITE_CONNECTIONS, is_sqlite, pool_options
from tests.support.clock import FakeClock
from tests.support.fake_bot_api import FakeBotApi, telegram_settings


def test_setting_has_a_safe_default_and_rejects_zero() -> None:
    assert Settings(_env_file=None).max_concurrent_updates == 32  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        Settings(_env_file=None, max_concurrent_updates=0)  # type: ignore[call-arg]


def test_in_memory_sqlite_keeps_its_own_pool() -> None:
    assert pool_options("sqlite+aiosqlite:///:memory:", 8) == {}
    assert pool_options("sqlite+aiosqlite:///x.db", 2)["pool_size"] == 2
    assert pool_options("sqlite+aiosqlite:///x.db", 64)["pool_size"] == SQLITE_CONNECTIONS
    assert pool_options("postgresql+asyncpg://u@h/db", 64)["pool_size"] == 64


async def test_update_processor_and_pool_follow_one_setting(
    database_url: str, clock: FakeClock
) -> None:
    settings = telegram_settings(
        Settings(_env_file=None, database_url=database_url, max_concurrent_updates=3)  # type: ignore[call-arg]
    )
    services = await build_services(settings, clock=clock)
    try:
        bot_api = FakeBotApi()
        app = build_application(services, request=bot_api, updates_request=bot_api)
        assert app.update_processor.max_concurrent_updates == 3
        pool = services.engine.sync_engine.pool
        assert pool.size() == 3  # type: ignore[attr-defined]
        # Every update in flight plus the background jobs' spare connections, all at once,
        # without anyone waiting for the pool (SQLite: its few connections, see db.py).
        at_once = 3 if is_sqlite(database_url) else 3 + SPARE_CONNECTIONS
        async with AsyncExitStack() as stack:
            connections = [
                await asyncio.wait_for(stack.enter_async_context(services.engine.connect()), 5)
                for _ in range(at_once)
            ]
            for connection in connections:
                assert await connection.scalar(text("SELECT 1")) == 1
    finally:
        await services.close()


async def test_as_many_conversations_as_the_setting_run_at_once(
    database_url: str, clock: FakeClock
) -> None:
    settings = Settings(_env_file=None, database_url=database_url, max_concurrent_updates=4)  # type: ignore[call-arg]
    services = await build_services(settings, clock=clock)
    try:
        engine = FlowEngine(services, build_flows())
        deliveries = await asyncio.gather(
            *(
                engine.handle(Incoming(channel="telegram", address=str(9000 + i), text="hola"))
                for i in range(4)
            )
        )
        assert all(d.turn == 1 and d.replies for d in deliveries)
    finally:
        await services.close()
