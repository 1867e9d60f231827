"""No log level carries a cédula, a birth date, a phone or a message body (nor a chat id)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import Application

from bot.flows.citizen import left_out
from bot.handlers.telegram.application import build_application
from bot.services.container import Services
from bot.storage.demo_data import DEMO_PEOPLE, load_demo_data
from bot.storage.models import Case
from tests.support.fake_bot_api import FakeBotApi, TelegramUser, telegram_settings

PERSON = DEMO_PEOPLE[0]
PHONE = "0991234567"
CHAT = 5550042


@pytest.fixture
async def debug_citizen(
    caplog: pytest.LogCaptureFixture, services: Services, bot_api: FakeBotApi
) -> AsyncIterator[TelegramUser]:
    """A citizen on a bot built while every logger is at DEBUG and captured."""
    caplog.set_level(logging.DEBUG)
    for name in ("bot", "notificaciones", "telegram", "httpx", "sqlalchemy"):
        caplog.set_level(logging.DEBUG, logger=name)
    async with services.session_factory() as session, session.begin():
        await load_demo_data(session, services.clock())
    services.settings = telegram_settings(services.settings)
    app: Application = build_application(services, request=bot_api, updates_request=bot_api)  # type: ignore[type-arg]
    await app.initialize()
    yield TelegramUser(app, bot_api, chat_id=CHAT)
    await app.shutdown()


def _secrets(*texts: str) -> list[str]:
    return [
        PERSON.cedula,
        PERSON.birth_date.strftime("%d/%m/%Y"),
        PERSON.birth_date.isoformat(),
        PHONE,
        str(CHAT),
        *texts,
    ]


def _leaks(caplog: pytest.LogCaptureFixture, secrets: list[str]) -> list[str]:
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    return [s for s in secrets if s in logged]


async def test_a_payment_status_conversation_at_debug_logs_no_personal_data(
    debug_citizen: TelegramUser, caplog: pytest.LogCaptureFixture
) -> None:
    await debug_citizen.say("no me llegó el bono")
    await debug_citizen.say(PERSON.cedula)
    answer = "\n".join(await debug_citizen.say(PERSON.birth_date.strftime("%d/%m/%Y")))
    assert "Su pago está activo." in answer  # the conversation really happened
    assert _leaks(caplog, _secrets("no me llegó el bono", "Su pago está activo")) == []


async def test_a_database_error_at_debug_logs_neither_the_statement_values_nor_the_message(
    debug_citizen: TelegramUser,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    situation = f"Don Segundo, cédula {PERSON.cedula}, nació el 02/03/1941, celular {PHONE}"

    async def failing_open_case(session: AsyncSession, **fields: Any) -> Case:
        row = {
            "number": "DUP-2026-00001",
            "kind": "excluido",
            "status": "nuevo",
            "description": fields["description"],
            "contact_info": fields["contact_info"],
            "cedula": PERSON.cedula,
            "reporter_consent": False,
            "created_at": fields["now"],
            "updated_at": fields["now"],
        }
        await session.execute(insert(Case).values(**row))
        await session.execute(insert(Case).values(**row))  # the number is unique: refused
        raise AssertionError("the database accepted a duplicate case number")

    monkeypatch.setattr(left_out, "open_citizen_case", failing_open_case)
    await debug_citizen.say("/excluido")
    await debug_citizen.press("adulta mayor")
    await debug_citizen.say("Tacamoros")
    await debug_citizen.say(situation)
    await debug_citizen.say(f"Barrio El Limo, llamar al {PHONE}")
    replies = await debug_citizen.press("Sí")
    assert any("Disculpe" in r for r in replies)
    assert any(r.levelno >= logging.ERROR for r in caplog.records)  # the failure was logged
    assert _leaks(caplog, _secrets(situation, "Barrio El Limo", "02/03/1941")) == []
