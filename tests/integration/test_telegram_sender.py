"""PtbTelegramSender through python-telegram-bot's real `Bot`, against the fake Bot API.

The Bot API answers errors as JSON with an HTTP status (403 blocked, 400 chat not found, 429 with
`retry_after`); PTB turns them into exceptions and the sender into the outcomes the dispatcher
stores: blocked and vanished chats are unreachable (they fail for good and fall back to SMS where
the person consented to it, see test_telegram_sms_fallback.py), throttling is retried later.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from telegram import Bot
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.request import RequestData

from bot.config import Settings
from bot.services.container import Services
from bot.storage.models import OutboxMessage
from notificaciones import outbox, outbox_states
from notificaciones.dispatcher import Dispatcher
from notificaciones.gateways.sms import ConsoleSmsGateway, SendOutcome, SendResult
from notificaciones.gateways.telegram import PtbTelegramSender
from tests.support.clock import FakeClock
from tests.support.fake_bot_api import ApiCall, FakeBotApi, telegram_settings

BLOCKED = 5550010
GONE = 5550011
BUSY = 5550012
OK = 5550013


class RefusingBotApi(FakeBotApi):
    """The fake Bot API, answering sendMessage to some chats with the real server's errors."""

    ERRORS: dict[int, tuple[int, dict[str, Any]]] = {
        BLOCKED: (403, {"description": "Forbidden: bot was blocked by the user"}),
        GONE: (400, {"description": "Bad Request: chat not found"}),
        BUSY: (
            429,
            {"description": "Too Many Requests: retry after 7", "parameters": {"retry_after": 7}},
        ),
    }

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answers an error for the refusing chats, like the fake otherwise."""
        params = dict(request_data.parameters) if request_data else {}
        if url.endswith("/sendMessage") and int(params["chat_id"]) in self.ERRORS:
            status, error = self.ERRORS[int(params["chat_id"])]
            self.calls.append(ApiCall("sendMessage", params))
            return status, json.dumps({"ok": False, "error_code": status, **error}).encode()
        return await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )


def _sender(settings: Settings, api: FakeBotApi) -> PtbTelegramSender:
    configured = telegram_settings(settings)
    bot = Bot(
        configured.require_telegram_token(),
        base_url=configured.telegram_base_url,
        request=api,
        get_updates_request=api,
    )
    return PtbTelegramSender(configured, bot=bot)


async def test_a_message_is_sent_through_the_bot_api_and_its_id_kept(settings: Settings) -> None:
    api = RefusingBotApi()
    sender = _sender(settings, api)

    first = await sender.send_text(str(OK), "Su caso fue atendido")
    second = await sender.send_text(str(OK), "Your case was handled")

    assert first == SendOutcome(SendResult.ACCEPTED, provider_sid="1000", provider_status="sent")
    assert second.provider_sid == "1001"
    assert api.texts(OK) == ["Su caso fue atendido", "Your case was handled"]
    assert [c.method for c in api.calls] == ["getMe", "sendMessage", "sendMessage"]


# PTB 22's own RetryAfter constructor reads its deprecated `retry_after` (nothing of ours does).
@pytest.mark.filterwarnings("ignore:Deprecated since version v22.2")
async def test_telegram_errors_become_the_outcomes_the_dispatcher_stores(
    settings: Settings,
) -> None:
    sender = _sender(settings, RefusingBotApi())

    blocked = await sender.send_text(str(BLOCKED), "Aviso")
    gone = await sender.send_text(str(GONE), "Aviso")
    busy = await sender.send_text(str(BUSY), "Aviso")
    not_a_chat = await sender.send_text("+593991234567x", "Aviso")

    assert blocked == SendOutcome(SendResult.UNREACHABLE, reason="telegram: bot blocked")
    assert gone == SendOutcome(SendResult.UNREACHABLE, reason="telegram: Chat not found")
    assert busy == SendOutcome(SendResult.TRANSIENT, reason="telegram: throttled or network")
    assert not_a_chat == SendOutcome(SendResult.PERMANENT, reason="telegram: bad chat id")


async def test_the_dispatcher_fails_a_blocked_chat_for_good_and_sends_the_rest(
    services: Services, clock: FakeClock
) -> None:
    api = RefusingBotApi()
    async with services.session_factory() as session, session.begin():
        for chat in (BLOCKED, OK):
            await outbox.enqueue(
                session,
                channel="telegram",
                address=str(chat),
                body="Su caso fue atendido",
                kind="case_update",
                dedupe_key=f"case:1:update:1:{chat}",
                due_at=clock(),
                now=clock(),
            )
    dispatcher = Dispatcher(
        services.session_factory,
        services.settings,
        ConsoleSmsGateway(write=lambda _line: None),
        telegram=_sender(services.settings, api),
        clock=clock,
    )

    await dispatcher.run_until_idle()
    await dispatcher.run_until_idle()  # nothing is left to retry

    async with services.session_factory() as session:
        rows = {
            r.address: r
            for r in await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        }
    blocked, delivered = rows[str(BLOCKED)], rows[str(OK)]
    assert (blocked.status, blocked.last_error, blocked.attempts) == (
        outbox_states.FAILED,
        "telegram: bot blocked",
        1,
    )
    assert (delivered.status, delivered.provider_sid) == (outbox_states.SENT, "1000")
    assert len(api.sent(BLOCKED)) == 1 and api.texts(OK) == ["Su caso fue atendido"]
