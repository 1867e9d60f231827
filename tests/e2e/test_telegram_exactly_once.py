"""A citizen's Telegram message is answered once and in order, whatever Telegram redelivers.

Through the real Application against the fake Bot API: an update delivered twice runs its step
once (by the conversation's last update_id: no ledger row), and a lower update_id after the
numbering restarted (a week without updates) is a new message; a process that dies after the
turn committed (its replies queued, not sent) has them sent once by a dispatcher, with their
buttons; a chat's later update that reaches another replica first waits for the earlier one,
which runs first.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select
from telegram import Update
from telegram.ext import Application

from bot.handlers.telegram import replies as reply_module
from bot.handlers.telegram.application import build_application
from bot.services.container import Services
from bot.storage.models import Conversation, InboundTurn, OutboxMessage
from notificaciones.dispatcher import Dispatcher
from notificaciones.gateways.sms import ConsoleSmsGateway
from notificaciones.gateways.telegram import PtbTelegramSender
from notificaciones.outbox_states import PENDING, REPLY_GRACE, SENT
from tests.support.clock import FakeClock
from tests.support.fake_bot_api import EPOCH, FakeBotApi

CHAT = 5550101


def _message(update_id: int, text: str, chat: int = CHAT) -> dict[str, Any]:
    sender = {"id": chat, "is_bot": False, "first_name": "Ciudadana", "language_code": "es"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": EPOCH,
            "chat": {"id": chat, "type": "private", "first_name": "Ciudadana"},
            "from": sender,
            "text": text,
        },
    }


async def _feed(app: Application, payload: dict[str, Any]) -> None:  # type: ignore[type-arg]
    await app.process_update(Update.de_json(payload, app.bot))


async def test_an_update_delivered_twice_is_answered_once(
    telegram_app: Application,  # type: ignore[type-arg]
    bot_api: FakeBotApi,
) -> None:
    await _feed(telegram_app, _message(900, "hola"))
    await _feed(telegram_app, _message(901, "/pago"))
    first = bot_api.texts(CHAT)
    await _feed(telegram_app, _message(901, "/pago"))  # Telegram's retry: the answer was late
    await _feed(telegram_app, _message(902, "12345"))
    texts = bot_api.texts(CHAT)
    assert texts[: len(first)] == first
    assert len(texts) == len(first) + 1  # one answer for 902, none again for 901
    assert "cédula" in first[-1]
    assert "cédula" in texts[-1]


async def test_a_lower_update_id_after_a_week_without_updates_is_a_new_message(
    telegram_app: Application,  # type: ignore[type-arg]
    bot_api: FakeBotApi,
    clock: FakeClock,
) -> None:
    await _feed(telegram_app, _message(5000, "hola"))
    answered = len(bot_api.texts(CHAT))
    await _feed(telegram_app, _message(4000, "hola"))  # within the day: taken as a redelivery
    assert len(bot_api.texts(CHAT)) == answered
    clock.advance(days=8)  # Telegram numbers the next update at random after a silent week
    await _feed(telegram_app, _message(4000, "hola"))
    assert len(bot_api.texts(CHAT)) == 2 * answered


async def test_a_reply_left_queued_by_a_crash_is_sent_once_by_the_dispatcher(
    telegram_app: Application,  # type: ignore[type-arg]
    bot_api: FakeBotApi,
    services: Services,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def died_after_commit(self: object, chat_id: object) -> int:
        return 0  # the process died between the turn's commit and the send

    monkeypatch.setattr(reply_module.ChatReplySender, "send_pending", died_after_commit)
    await _feed(telegram_app, _message(910, "hola"))
    assert bot_api.texts(CHAT) == []
    async with services.session_factory() as session:
        rows = list(await session.scalars(select(OutboxMessage)))
        conversation = await session.scalar(select(Conversation))
        ledger = list(await session.scalars(select(InboundTurn)))
    assert [r.status for r in rows] == [PENDING] and rows[0].kind == "reply"
    assert conversation is not None and conversation.last_sequence == 910
    assert ledger == []  # polled updates need no ledger row

    dispatcher = Dispatcher(
        services.session_factory,
        services.settings,
        ConsoleSmsGateway(write=lambda _line: None),
        telegram=PtbTelegramSender(services.settings, bot=telegram_app.bot),
        clock=clock,
    )
    assert (await dispatcher.run_until_idle()).sent == 0  # the replica's own sender goes first
    clock.advance(seconds=REPLY_GRACE.total_seconds() + 1)
    assert (await dispatcher.run_until_idle()).sent == 1
    assert (await dispatcher.run_until_idle()).sent == 0
    [text] = bot_api.texts(CHAT)
    assert text.startswith("¡Hola!")
    assert bot_api.last_buttons(CHAT)  # the menu's buttons came with it
    _label, data = bot_api.last_buttons(CHAT)[0]
    assert data.startswith("1|")

    monkeypatch.undo()
    await _feed(telegram_app, _message(910, "hola"))  # Telegram retries: nothing left to send
    assert len(bot_api.texts(CHAT)) == 1
    async with services.session_factory() as session:
        assert [r.status for r in await session.scalars(select(OutboxMessage))] == [SENT]


async def test_a_later_update_reaching_another_replica_first_waits_for_the_earlier(
    services: Services,
    bot_api: FakeBotApi,
    telegram_app: Application,  # type: ignore[type-arg]
) -> None:
    other = build_application(services, request=bot_api, updates_request=bot_api)
    await other.initialize()
    try:
        for app in (telegram_app, other):
            app.bot_data["flow_engine"].order_wait = 0.15
        later = asyncio.create_task(_feed(other, _message(921, "/pago")))
        await asyncio.sleep(0.03)  # the earlier update reaches the first replica a moment later
        earlier = asyncio.create_task(_feed(telegram_app, _message(920, "hola")))
        await asyncio.gather(later, earlier)
    finally:
        await other.shutdown()
    texts = bot_api.texts(CHAT)
    assert texts[0].startswith("¡Hola!")  # «hola» ran first, as the citizen sent it
    assert "cédula" in texts[-1]
    assert len(texts) == 2
