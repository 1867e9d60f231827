"""An English speaker who types questions in their own words reaches the right flow in English.

Through the console exactly as a person at a terminal, and through Telegram with the fake Bot API.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.flows.engine import FlowEngine
from bot.handlers.console import run_console
from bot.services.container import Services
from bot.storage.demo_data import DEMO_PEOPLE, load_demo_data
from bot.storage.models import Conversation
from tests.support.fake_bot_api import TelegramUser

# Words of the bot's Spanish texts that never belong in an English answer.
SPANISH = re.compile(r"\b(usted|Elija|Escriba|Listo|Su pago|No entendí|Siguiente paso)\b")


@pytest.fixture(autouse=True)
async def demo(services: Services) -> None:
    async with services.session_factory() as session, session.begin():
        await load_demo_data(session, services.clock())


def _english(text: str) -> str:
    leaked = SPANISH.findall(text)
    assert not leaked, f"Spanish words {leaked} in an English answer:\n{text}"
    return text


async def test_an_english_console_user_typing_when_is_my_payment_gets_the_payment_flow_in_english(
    flow_engine: FlowEngine, services: Services
) -> None:
    person = DEMO_PEOPLE[0]  # active
    lines = iter(
        ["hello", "when is my payment", person.cedula, person.birth_date.strftime("%d/%m/%Y")]
    )
    screens: list[str] = []
    shown: list[str] = []

    async def read() -> str | None:
        screens.append("\n".join(shown))
        shown.clear()
        return next(lines, None)

    await run_console(flow_engine, read, shown.append, locale="en")
    screens.append("\n".join(shown))
    _, greeting, payment, cedula, status, goodbye = screens

    assert _english(greeting).startswith("bot> Hello! I am the MIES assistant.")
    assert "Type your cédula (ID) number (10 digits)." in _english(payment)
    assert "date of birth" in _english(cedula)
    assert "Your payment is active." in _english(status)
    assert goodbye.endswith("Goodbye.")


async def test_an_english_telegram_user_typing_a_question_lands_in_its_flow(
    citizen: TelegramUser, services: Services
) -> None:
    citizen.language = "en"
    await citizen.say("/start")
    text = "\n".join(await citizen.say("I haven't received my payment"))
    assert "Type your cédula (ID) number (10 digits)." in _english(text)
    async with services.session_factory() as session:
        conv = await session.scalar(select(Conversation))
    assert conv is not None and (conv.flow, conv.step) == ("pago", "asking_cedula")
