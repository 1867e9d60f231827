"""Conversations happen only in private chats: a group never sees anyone's payment status."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from telegram import Update
from telegram.ext import Application

from bot.services.container import Services
from bot.storage.models import Conversation
from tests.support.fake_bot_api import BOT_USER, EPOCH, FakeBotApi

GROUP = -100123456
USER = {"id": 5550009, "is_bot": False, "first_name": "Luis", "language_code": "es"}


def _group_message(update_id: int, text: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": EPOCH,
        "chat": {"id": GROUP, "type": "supergroup", "title": "Vecinos de Tacamoros"},
        "from": USER,
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": update_id, "message": message}


async def _feed(app: Application, payload: dict[str, Any]) -> None:  # type: ignore[type-arg]
    await app.process_update(Update.de_json(payload, app.bot))


async def test_a_command_in_a_group_points_to_the_private_chat_and_starts_nothing(
    telegram_app: Application,  # type: ignore[type-arg]
    bot_api: FakeBotApi,
    services: Services,
) -> None:
    await _feed(telegram_app, _group_message(1, "/pago"))
    texts = bot_api.texts(GROUP)
    assert texts == [
        "Para cuidar sus datos solo atiendo en chat privado. Escríbame aquí: "
        f"https://t.me/{BOT_USER['username']}"
    ]
    async with services.session_factory() as session:
        conversations = await session.scalar(select(func.count()).select_from(Conversation))
    assert conversations == 0


async def test_plain_group_chatter_gets_no_answer(
    telegram_app: Application,  # type: ignore[type-arg]
    bot_api: FakeBotApi,
) -> None:
    await _feed(telegram_app, _group_message(2, "no me llegó el bono"))
    assert bot_api.texts(GROUP) == []


async def test_a_forged_button_in_a_group_is_only_acknowledged(
    telegram_app: Application,  # type: ignore[type-arg]
    bot_api: FakeBotApi,
) -> None:
    query = {
        "id": "77",
        "from": USER,
        "chat_instance": "ci",
        "message": {
            "message_id": 9,
            "date": EPOCH,
            "chat": {"id": GROUP, "type": "supergroup", "title": "Vecinos"},
            "from": BOT_USER,
            "text": "…",
        },
        "data": "1|pago",
    }
    await _feed(telegram_app, {"update_id": 3, "callback_query": query})
    assert [c.method for c in bot_api.calls if c.method != "getMe"] == ["answerCallbackQuery"]
