"""Webhook mode: Telegram's updates through the Starlette app, authenticated by the secret token."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from telegram.ext import Application

from bot.config import MissingSetting
from bot.handlers.telegram.application import build_application
from bot.handlers.telegram.webhook import (
    SECRET_HEADER,
    WEBHOOK_PATH,
    register_webhook,
    telegram_routes,
    webhook_url,
)
from bot.handlers.web import build_app
from bot.services.container import Services
from bot.storage.db import create_engine, create_session_factory
from bot.storage.models import InboundTurn
from tests.support.fake_bot_api import EPOCH, FakeBotApi, telegram_settings

SECRET = "s3cret_Token-for-tests"
CHAT = 5550077


def _message(update_id: int, text: str) -> dict[str, Any]:
    user = {"id": CHAT, "is_bot": False, "first_name": "Ana", "language_code": "es"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": EPOCH,
            "chat": {"id": CHAT, "type": "private", "first_name": "Ana"},
            "from": user,
            "text": text,
        },
    }


@pytest.fixture
async def telegram_app(services: Services, bot_api: FakeBotApi) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The real Application in webhook configuration, on the fake Bot API."""
    services.settings = telegram_settings(services.settings).model_copy(
        update={
            "telegram_webhook_secret": SecretStr(SECRET),
            "public_base_url": "https://bot.example.gob.ec/",
        }
    )
    app = build_application(services, request=bot_api, updates_request=bot_api)
    await app.initialize()
    await app.start()
    yield app
    await app.stop()
    await app.shutdown()


@pytest.fixture
async def client(
    services: Services,
    telegram_app: Application,  # type: ignore[type-arg]
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the whole webhook app (Twilio routes + the Telegram route)."""
    web = build_app(services, extra_routes=telegram_routes(telegram_app))
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_wrong_or_missing_secret_is_refused_and_nothing_is_answered(
    client: httpx.AsyncClient, bot_api: FakeBotApi
) -> None:
    body = json.dumps(_message(1, "hola"))
    missing = await client.post(WEBHOOK_PATH, content=body)
    wrong = await client.post(WEBHOOK_PATH, content=body, headers={SECRET_HEADER: "nope"})
    almost = await client.post(WEBHOOK_PATH, content=body, headers={SECRET_HEADER: SECRET[:-1]})
    assert (missing.status_code, wrong.status_code, almost.status_code) == (403, 403, 403)
    assert bot_api.sent() == []


async def test_right_secret_processes_the_update_and_the_reply_reaches_telegram(
    client: httpx.AsyncClient, bot_api: FakeBotApi
) -> None:
    response = await client.post(
        WEBHOOK_PATH, content=json.dumps(_message(1, "/start")), headers={SECRET_HEADER: SECRET}
    )
    assert response.status_code == 200
    texts = bot_api.texts(CHAT)
    assert any("Aviso de privacidad" in t for t in texts)
    response = await client.post(
        WEBHOOK_PATH,
        content=json.dumps(_message(2, "/eventos Tacamoros")),
        headers={SECRET_HEADER: SECRET},
    )
    assert response.status_code == 200
    assert "Tacamoros (Sozoranga, Loja)" in bot_api.texts(CHAT)[-1]


async def test_with_no_order_wait_every_update_still_goes_to_the_ledger(
    services: Services,
    telegram_app: Application,  # type: ignore[type-arg]
    bot_api: FakeBotApi,
) -> None:
    # Replicas may deliver an earlier update after a later one: the conversation's last
    # update_id cannot tell a redelivery there, whatever TURN_ORDER_WAIT_MS says.
    services.settings = services.settings.model_copy(update={"turn_order_wait_ms": 0})
    web = build_app(services, extra_routes=telegram_routes(telegram_app))
    headers = {SECRET_HEADER: SECRET}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://test"
    ) as http:
        for update_id, text in ((20, "hola"), (20, "hola"), (19, "/pago")):
            response = await http.post(
                WEBHOOK_PATH, content=json.dumps(_message(update_id, text)), headers=headers
            )
            assert response.status_code == 200
    async with services.session_factory() as session:
        keys = set(await session.scalars(select(InboundTurn.message_key)))
    assert keys == {"19", "20"}  # the redelivery recorded once; the late earlier one run
    assert "cédula" in bot_api.texts(CHAT)[-1]
    assert sum("Aviso de privacidad" in t for t in bot_api.texts(CHAT)) == 1


async def test_a_body_that_is_not_an_update_is_a_bad_request(
    client: httpx.AsyncClient, bot_api: FakeBotApi
) -> None:
    headers = {SECRET_HEADER: SECRET}
    for body in ("{not json", "[1, 2]", '"text"'):
        response = await client.post(WEBHOOK_PATH, content=body, headers=headers)
        assert response.status_code == 400, body
    assert bot_api.sent() == []


async def test_the_twilio_routes_are_still_served(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).text == "ok"


async def test_startup_registers_the_webhook_with_its_secret(
    telegram_app: Application,  # type: ignore[type-arg]
    bot_api: FakeBotApi,
) -> None:
    url = await register_webhook(telegram_app)
    assert url == "https://bot.example.gob.ec/telegram/webhook"
    call = next(c for c in bot_api.calls if c.method == "setWebhook")
    assert call.params["url"] == url and call.params["secret_token"] == SECRET


async def test_webhook_mode_without_a_secret_names_the_missing_setting(
    services: Services, bot_api: FakeBotApi
) -> None:
    services.settings = telegram_settings(services.settings)
    app = build_application(services, request=bot_api, updates_request=bot_api)
    with pytest.raises(MissingSetting) as error:
        telegram_routes(app)
    assert error.value.setting == "TELEGRAM_WEBHOOK_SECRET"
    assert "TELEGRAM_WEBHOOK_SECRET" in str(error.value)


@pytest.mark.parametrize(
    ("url", "message"), [(None, "Falta la configuración"), ("http://x.ec", "https://")]
)
async def test_webhook_url_needs_a_public_https_base(
    services: Services, url: str | None, message: str
) -> None:
    settings = services.settings.model_copy(update={"public_base_url": url})
    with pytest.raises(MissingSetting) as error:
        webhook_url(settings)
    assert error.value.setting == "PUBLIC_BASE_URL" and message in str(error.value)


def test_cli_webhook_mode_without_a_secret_is_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--mode", "webhook"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "TELEGRAM_TOKEN": "123456:TEST-TOKEN",
            "TELEGRAM_WEBHOOK_SECRET": "",
            "PUBLIC_BASE_URL": "https://bot.example.gob.ec",
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/unused.db",
        },
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "TELEGRAM_WEBHOOK_SECRET" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.fixture
async def database_down(services: Services) -> AsyncIterator[Callable[[], None]]:
    """Points the services at a database that refuses connections; call the result to restore."""
    working = services.session_factory
    unreachable = create_engine("postgresql+asyncpg://mies@127.0.0.1:1/down")
    services.session_factory = create_session_factory(unreachable)

    def restore() -> None:
        services.session_factory = working

    yield restore
    restore()
    await unreachable.dispose()


async def test_a_message_during_a_database_outage_is_refused_and_answered_when_telegram_resends(
    client: httpx.AsyncClient, bot_api: FakeBotApi, database_down: Callable[[], None]
) -> None:
    headers = {SECRET_HEADER: SECRET}
    first = await client.post(
        WEBHOOK_PATH, content=json.dumps(_message(1, "/start")), headers=headers
    )
    second = await client.post(
        WEBHOOK_PATH, content=json.dumps(_message(2, "/eventos Tacamoros")), headers=headers
    )
    assert (first.status_code, second.status_code) == (503, 503)  # Telegram delivers them again
    [apology] = bot_api.texts(CHAT)  # one apology for the outage, not one per message
    assert "No se perdió" in apology
    assert "menú" not in apology and "empezar" not in apology  # nothing changed: no fresh start
    database_down()  # the database is back; Telegram re-delivers both updates, in order
    again = [
        await client.post(WEBHOOK_PATH, content=json.dumps(_message(i, t)), headers=headers)
        for i, t in ((1, "/start"), (2, "/eventos Tacamoros"))
    ]
    assert [r.status_code for r in again] == [200, 200]
    texts = bot_api.texts(CHAT)
    assert "Aviso de privacidad" in texts[1] and "Tacamoros (Sozoranga, Loja)" in texts[-1]
