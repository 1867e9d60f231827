"""A fake Telegram Bot API as its own process, for tests that run the product as real processes.

    python -m tests.support.bot_api_server PORT

Answers `getMe`, `setWebhook`, `deleteWebhook`, `answerCallbackQuery` and `sendMessage` (which it
records, in the order received); `GET /sent` returns the recorded messages as JSON
[{"chat_id", "text", "buttons"}]. `getUpdates` serves the updates `POST /updates` offered (a JSON
list) with Telegram's offsets (`tests.support.update_queue`); `GET /updates` tells how far the
bot acknowledged: {"confirmed", "pending", "polls"}.
"""

from __future__ import annotations

import itertools
import json
import sys
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from tests.support.update_queue import UpdateQueue

BOT = {"id": 7000002, "is_bot": True, "first_name": "MIES Conecta", "username": "mies_bot"}


def build() -> web.Application:
    """The server's routes; the recorded messages live in the application."""
    sent: list[dict[str, Any]] = []
    ids = itertools.count(1)
    updates = UpdateQueue()

    async def call(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await request.read()
        kind = request.content_type
        if kind == "application/json":
            params: dict[str, Any] = json.loads(body or b"{}")
        else:
            params = dict(parse_qsl(body.decode()))
        result: Any = True
        if method == "getUpdates":
            offset = params.get("offset")
            result = await updates.get(
                int(offset) if offset is not None else None,
                int(params.get("limit") or 100),
                float(params.get("timeout") or 0),
            )
        elif method == "getMe":
            result = {**BOT, "can_join_groups": False, "supports_inline_queries": False}
        elif method == "sendMessage":
            markup = params.get("reply_markup")
            data = json.loads(markup) if isinstance(markup, str) else (markup or {})
            buttons = [b["callback_data"] for row in data.get("inline_keyboard", []) for b in row]
            chat_id = int(params["chat_id"])
            sent.append({"chat_id": chat_id, "text": params.get("text", ""), "buttons": buttons})
            result = {
                "message_id": next(ids),
                "date": 1_795_000_000,
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT,
                "text": params.get("text", ""),
            }
        return web.json_response({"ok": True, "result": result})

    async def recorded(_request: web.Request) -> web.Response:
        return web.json_response(sent)

    async def offer(request: web.Request) -> web.Response:
        for update in await request.json():
            updates.offer(update)
        return web.json_response({"ok": True})

    async def acknowledged(_request: web.Request) -> web.Response:
        state = {"confirmed": updates.confirmed, "pending": len(updates.pending)}
        return web.json_response({**state, "polls": updates.polls})

    app = web.Application()
    app.router.add_get("/sent", recorded)
    app.router.add_post("/updates", offer)
    app.router.add_get("/updates", acknowledged)
    app.router.add_post("/bot{token}/{method}", call)
    return app


if __name__ == "__main__":
    web.run_app(build(), host="127.0.0.1", port=int(sys.argv[1]), print=None)
