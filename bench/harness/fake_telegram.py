"""A fake Telegram Bot API server on loopback, fast enough not to be the bottleneck.

The real python-telegram-bot client reaches it through `ApplicationBuilder().base_url(...)`.
It is a small HTTP/1.1 server on asyncio streams (keep-alive, Content-Length bodies, form or
JSON parameters) rather than a web framework, so that its own cost stays far below the bot's.

- `getUpdates` long-polls an in-memory queue fed by `offer(...)`, with Telegram's offsets: an
  update stays in the queue (and is returned again) until a call's `offset` is above its id.
- `sendMessage` records the reply (time, text, inline buttons) for the chat.
- `answerCallbackQuery`, `getMe`, `deleteWebhook`, ... answer what Telegram would.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

BOT_ID = 777000
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "MIES Bench", "username": "mies_bench_bot"}


@dataclass
class ChatLog:
    """What the bot sent to one chat since the citizen's last message."""

    replies: list[tuple[float, str, list[str]]] = field(default_factory=list)

    @property
    def last_buttons(self) -> list[str]:
        """Callback data of the buttons on the last reply that had any."""
        for _, _, buttons in reversed(self.replies):
            if buttons:
                return buttons
        return []


class FakeTelegram:
    """Serves the Bot API methods a polling bot uses; every bot request is counted."""

    def __init__(self) -> None:
        self._queue: deque[dict[str, Any]] = deque()
        self._has_updates = asyncio.Event()
        self._next_update_id = 1
        self._next_message_id = 1
        self.chats: dict[int, ChatLog] = {}
        self.requests: dict[str, int] = {}
        self.polled = asyncio.Event()
        self._server: asyncio.Server | None = None
        self.port = 0
        self.generation = 0

    # -- the simulated citizens' side ------------------------------------------------------------

    def offer_text(self, chat_id: int, text: str) -> int:
        """Queues a text message from a private chat; returns its update id."""
        user = _user(chat_id)
        update_id = self._new_update_id()
        self._push(
            {
                "update_id": update_id,
                "message": {
                    "message_id": self._new_message_id(),
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private", "first_name": "Ciudadana"},
                    "from": user,
                    "text": text,
                },
            }
        )
        return update_id

    def offer_press(self, chat_id: int, data: str) -> int:
        """Queues a press of an inline button carrying `data`; returns its update id."""
        update_id = self._new_update_id()
        self._push(
            {
                "update_id": update_id,
                "callback_query": {
                    "id": str(update_id),
                    "from": _user(chat_id),
                    "chat_instance": str(chat_id),
                    "data": data,
                    "message": {
                        "message_id": self._new_message_id(),
                        "date": int(time.time()),
                        "chat": {"id": chat_id, "type": "private", "first_name": "Ciudadana"},
                        "from": BOT_USER,
                        "text": "…",
                    },
                },
            }
        )
        return update_id

    def new_bot(self) -> None:
        """A new bot process is starting: long polls of a previous one must not take updates."""
        self.generation += 1
        self.polled.clear()

    def take_replies(self, chat_id: int) -> ChatLog:
        """Returns and forgets what was sent to the chat so far."""
        return self.chats.pop(chat_id, None) or ChatLog()

    @property
    def backlog(self) -> int:
        """Updates offered but not yet acknowledged by the bot (its offset still below them)."""
        return len(self._queue)

    def _push(self, update: dict[str, Any]) -> None:
        self._queue.append(update)
        self._has_updates.set()

    def _new_update_id(self) -> int:
        self._next_update_id += 1
        return self._next_update_id

    def _new_message_id(self) -> int:
        self._next_message_id += 1
        return self._next_message_id

    # -- the HTTP side ----------------------------------------------------------------------------

    async def start(self) -> str:
        """Listens on 127.0.0.1 (a free port); returns the base URL for the bot."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{self.port}/bot"

    async def stop(self) -> None:
        """Closes the listening socket."""
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                _method, path, _version = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, sep, value = line.partition(":")
                    if sep:
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                body = await reader.readexactly(length) if length else b""
                params = _parameters(headers.get("content-type", ""), body)
                api_method = path.rsplit("/", 1)[-1]
                result = await self._call(api_method, params, reader)
                payload = json.dumps({"ok": True, "result": result}).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                    + str(len(payload)).encode()
                    + b"\r\n\r\n"
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:  # the server is stopping
            pass
        finally:
            writer.close()

    async def _call(self, method: str, params: dict[str, Any], reader: asyncio.StreamReader) -> Any:
        self.requests[method] = self.requests.get(method, 0) + 1
        if method == "getUpdates":
            return await self._get_updates(params, reader)
        if method == "sendMessage":
            return self._send_message(params)
        if method == "getMe":
            return BOT_USER
        return True

    async def _get_updates(
        self, params: dict[str, Any], reader: asyncio.StreamReader
    ) -> list[dict[str, Any]]:
        generation = self.generation
        self.polled.set()
        offset = int(params.get("offset") or 0)
        while self._queue and self._queue[0]["update_id"] < offset:
            self._queue.popleft()  # confirmed by this offset: forgotten, as Telegram does
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if not self._queue and timeout > 0:
            self._has_updates.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._has_updates.wait(), timeout)
        if generation != self.generation or reader.at_eof():
            return []  # a poll of a bot that is gone: leave the updates for the live one
        return list(itertools.islice(self._queue, limit))

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        now = time.perf_counter()
        chat_id = int(params["chat_id"])
        text = str(params.get("text", ""))
        buttons: list[str] = []
        markup = params.get("reply_markup")
        if markup:
            rows = json.loads(markup) if isinstance(markup, str) else markup
            buttons = [
                str(b.get("callback_data", ""))
                for row in rows.get("inline_keyboard", [])
                for b in row
            ]
        self.chats.setdefault(chat_id, ChatLog()).replies.append((now, text, buttons))
        return {
            "message_id": self._new_message_id(),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Ciudadana"},
            "from": BOT_USER,
            "text": text,
        }


def _user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Ciudadana", "language_code": "es"}


def _parameters(content_type: str, body: bytes) -> dict[str, Any]:
    """Form fields (values JSON-encoded by PTB when not plain strings) or a JSON object."""
    if not body:
        return {}
    if content_type.startswith("application/json"):
        loaded = json.loads(body)
        return loaded if isinstance(loaded, dict) else {}
    return dict(parse_qsl(body.decode(), keep_blank_values=True))
