"""The aiohttp Bot API transport against a local HTTP server that answers like Telegram."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import BodyPartReader, web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, TimedOut

from bot.handlers.telegram.aiohttp_request import AiohttpRequest

TOKEN = "123456:TEST-TOKEN"
ME = {"id": 1, "is_bot": True, "first_name": "MIES", "username": "mies_bot"}


class FakeTelegramServer:
    """Records every request's method and fields; `hold` makes it stall until released."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.release = asyncio.Event()
        self.hold = False

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        fields: dict[str, Any] = {}
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if isinstance(part, BodyPartReader):
                    value = await part.read()
                    name = part.name or ""
                    fields[name] = (
                        value.decode() if part.filename is None else (part.filename, value)
                    )
        elif request.content_type == "application/json":
            fields = await request.json()  # as the Bot API: a JSON-string field read as the form's
        else:
            fields = dict(await request.post())
        self.calls.append((method, fields))
        if self.hold:
            await self.release.wait()
        if method == "getMe":
            result: Any = ME
        elif method in ("sendMessage", "sendDocument"):
            result = {
                "message_id": len(self.calls),
                "date": 0,
                "chat": {"id": int(str(fields["chat_id"])), "type": "private"},
                "text": str(fields.get("text", "")),
            }
        else:
            result = True
        return web.json_response({"ok": True, "result": result})


@pytest.fixture
async def server() -> AsyncIterator[tuple[FakeTelegramServer, str]]:
    fake = FakeTelegramServer()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield fake, f"http://127.0.0.1:{port}/bot"
    fake.release.set()
    await runner.cleanup()


async def test_bot_methods_go_through_as_telegram_reads_them(
    server: tuple[FakeTelegramServer, str],
) -> None:
    fake, base_url = server
    bot = Bot(
        TOKEN, base_url=base_url, request=AiohttpRequest(), get_updates_request=AiohttpRequest()
    )
    async with bot:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Sí", callback_data="3|si")]])
        message = await bot.send_message(42, "¿Califico? ñandú", reply_markup=markup)
    assert message.text == "¿Califico? ñandú"
    method, fields = fake.calls[-1]
    assert method == "sendMessage"
    assert fields["chat_id"] == "42" and fields["text"] == "¿Califico? ñandú"
    keyboard = json.loads(str(fields["reply_markup"]))
    assert keyboard["inline_keyboard"][0][0]["callback_data"] == "3|si"
    assert "getMe" in [m for m, _ in fake.calls]


async def test_files_are_sent_as_multipart(server: tuple[FakeTelegramServer, str]) -> None:
    fake, base_url = server
    bot = Bot(
        TOKEN, base_url=base_url, request=AiohttpRequest(), get_updates_request=AiohttpRequest()
    )
    async with bot:
        await bot.send_document(42, b"cedula;estado\n", filename="informe.csv")
    method, fields = fake.calls[-1]
    assert method == "sendDocument"
    assert fields["chat_id"] == "42"
    assert fields["document"] == ("informe.csv", b"cedula;estado\n")


async def test_a_stalled_server_is_a_timeout(server: tuple[FakeTelegramServer, str]) -> None:
    fake, base_url = server
    request = AiohttpRequest(read_timeout=0.05)
    await request.initialize()
    fake.hold = True
    try:
        with pytest.raises(TimedOut):
            await request.do_request(f"{base_url}{TOKEN}/getMe", "POST")
    finally:
        fake.release.set()
        await request.shutdown()


async def test_an_unreachable_server_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.do_request(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe", "POST")
    finally:
        await request.shutdown()


async def test_it_must_be_initialised_first() -> None:
    with pytest.raises(RuntimeError):
        await AiohttpRequest().do_request("http://127.0.0.1:9/x", "POST")
