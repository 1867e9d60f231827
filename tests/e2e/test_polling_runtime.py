"""Polling mode runs the bot and the SMS dispatcher in one process and stops cleanly."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.runtime.modes import serve_polling
from bot.services.container import Services
from notificaciones.outbox import enqueue
from tests.support.fake_bot_api import EPOCH, FakeBotApi

CHAT = 5550777


class OneMessageBotApi(FakeBotApi):
    """Serves one «hola» from getUpdates, then nothing."""

    def __init__(self) -> None:
        super().__init__()
        chat = {"id": CHAT, "type": "private", "first_name": "Ciudadana"}
        user = {"id": CHAT, "is_bot": False, "first_name": "Ciudadana", "language_code": "es"}
        message = {"message_id": 1, "date": EPOCH, "chat": chat, "from": user, "text": "hola"}
        self.updates.offer({"update_id": 1, "message": message})


async def _until(condition: Any, seconds: float = 20.0) -> None:
    """Waits for a condition the bot's background tasks make true (polls; no fixed sleeps)."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - the condition has no event to await
            await asyncio.sleep(0.05)


async def test_polling_answers_and_dispatches_queued_sms(
    settings: Settings, services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        await enqueue(
            session,
            channel="sms",
            address="+593991234567",
            body="Aviso de prueba",
            kind="test",
            dedupe_key="polling-test",
            due_at=now - timedelta(minutes=1),
            now=now,
        )
    # No quiet hours: this test runs with the real clock, at any hour.
    live = settings.model_copy(
        update={
            "telegram_token": SecretStr("123:ABC"),
            "quiet_hours_start": settings.quiet_hours_end,
        }
    )
    api = OneMessageBotApi()
    stop = asyncio.Event()
    task = asyncio.create_task(serve_polling(live, stop, request=api))
    await _until(lambda: bool(api.texts(CHAT)))
    await _until(lambda: "Aviso de prueba" in capsys.readouterr().out)
    stop.set()
    await asyncio.wait_for(task, 20)
    assert any("asistente" in text for text in api.texts(CHAT))
    assert api.updates.confirmed == 2  # acknowledged once answered: Telegram forgets it
    assert not api.updates.pending
