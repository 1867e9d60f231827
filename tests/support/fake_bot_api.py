"""A fake Telegram Bot API without sockets: a `BaseRequest` that answers like the real server.

Pass one instance to `build_application(..., request=fake, updates_request=fake)` and feed
updates with `Application.process_update`, or offer them to `fake.updates` for getUpdates (which
keeps them until an offset confirms them, as Telegram does). Every call is recorded (method +
parameters), so tests assert on what the bot really sent. `TelegramUser` builds the JSON of
incoming updates.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr
from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from tests.support.update_queue import UpdateQueue

BOT_ID = 7000001
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "MIES Conecta", "username": "mies_bot"}
EPOCH = 1_795_000_000
# Telegram numbers updates per bot, not per chat: every simulated user draws from one sequence.
_UPDATE_IDS = itertools.count(1)


@dataclass(frozen=True)
class ApiCall:
    """One Bot API request the bot made."""

    method: str
    params: dict[str, Any]


class FakeBotApi(BaseRequest):
    """Answers Bot API methods in memory and records every call."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.updates = UpdateQueue()
        self._message_ids = itertools.count(1000)

    @property
    def read_timeout(self) -> float | None:
        """No waiting: answers are immediate."""
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

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
        """Dispatches on the method name at the end of the URL."""
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        self.calls.append(ApiCall(api_method, params))
        if api_method == "getUpdates":
            result = await self.updates.get(
                params.get("offset"), params.get("limit"), float(params.get("timeout") or 0)
            )
        else:
            result = self._result(api_method, params)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {**BOT_USER, "can_join_groups": False, "supports_inline_queries": False}
        if method == "sendMessage":
            chat_id = int(params["chat_id"])
            return {
                "message_id": next(self._message_ids),
                "date": EPOCH,
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": params.get("text", ""),
            }
        return True

    def sent(self, chat_id: int | None = None) -> list[ApiCall]:
        """The sendMessage calls, optionally for one chat."""
        return [
            c
            for c in self.calls
            if c.method == "sendMessage"
            and (chat_id is None or int(c.params["chat_id"]) == chat_id)
        ]

    def texts(self, chat_id: int | None = None) -> list[str]:
        """The texts of the messages sent."""
        return [str(c.params["text"]) for c in self.sent(chat_id)]

    def last_buttons(self, chat_id: int) -> list[tuple[str, str]]:
        """(label, callback_data) of the inline keyboard of the last message with one."""
        for call in reversed(self.sent(chat_id)):
            markup = call.params.get("reply_markup")
            if markup:
                data = json.loads(markup) if isinstance(markup, str) else markup
                return [
                    (b["text"], b["callback_data"]) for row in data["inline_keyboard"] for b in row
                ]
        return []


@dataclass
class TelegramUser:
    """Builds updates as one private-chat user would send them."""

    app: Application  # type: ignore[type-arg]
    api: FakeBotApi
    chat_id: int = 5550001
    language: str = "es"
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _base(self) -> dict[str, Any]:
        return {
            "message_id": next(self._ids),
            "date": EPOCH,
            "chat": {"id": self.chat_id, "type": "private", "first_name": "Ciudadana"},
            "from": {
                "id": self.chat_id,
                "is_bot": False,
                "first_name": "Ciudadana",
                "language_code": self.language,
            },
        }

    async def _feed(self, payload: dict[str, Any]) -> list[str]:
        before = len(self.api.sent(self.chat_id))
        update = Update.de_json({"update_id": next(_UPDATE_IDS), **payload}, self.app.bot)
        await self.app.process_update(update)
        return [str(c.params["text"]) for c in self.api.sent(self.chat_id)[before:]]

    async def say(self, text: str) -> list[str]:
        """Sends a text message; returns the texts the bot answered."""
        return await self._feed({"message": {**self._base(), "text": text}})

    async def send(self, extra: dict[str, Any]) -> list[str]:
        """Sends a message with arbitrary extra fields (photo, voice, sticker, location...)."""
        return await self._feed({"message": {**self._base(), **extra}})

    async def press_data(self, data: str) -> list[str]:
        """Presses an inline button carrying `data` (possibly stale or malformed)."""
        message = {**self._base(), "from": BOT_USER, "text": "…"}
        query = {
            "id": str(next(self._ids)),
            "from": self._base()["from"],
            "chat_instance": "ci",
            "message": message,
            "data": data,
        }
        return await self._feed({"callback_query": query})

    async def press(self, label_part: str) -> list[str]:
        """Presses the button of the last keyboard whose label contains `label_part`."""
        buttons = self.api.last_buttons(self.chat_id)
        for label, data in buttons:
            if label_part.lower() in label.lower():
                return await self.press_data(data)
        raise AssertionError(f"no button like {label_part!r} in {[b[0] for b in buttons]}")


def telegram_settings(settings: Any) -> Any:
    """The test settings with a (fake) bot token, so the Application can be built."""
    return settings.model_copy(update={"telegram_token": SecretStr("123456:TEST-TOKEN")})
