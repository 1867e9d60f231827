"""An English-speaking citizen on Telegram gets the menu and the answers in English.

Telegram's `language_code` of the first message chooses the language; /idioma changes it and the
choice is kept for the chat. Data-file texts (payment statuses) and Babel formats follow it too.
"""

from __future__ import annotations

import re

import pytest

from bot.flows.engine import FlowEngine
from bot.handlers.console import run_console
from bot.services.container import Services
from bot.storage.demo_data import DEMO_PEOPLE, load_demo_data
from tests.support.fake_bot_api import FakeBotApi, TelegramUser

# Words of the bot's Spanish texts that never belong in an English answer (data such as parish
# names or event titles stay as they are).
SPANISH = re.compile(r"\b(usted|Elija|Escriba|Listo|Su pago|Monto|Siguiente paso|Documentos)\b")


@pytest.fixture(autouse=True)
async def demo(services: Services) -> None:
    async with services.session_factory() as session, session.begin():
        await load_demo_data(session, services.clock())


def _labels(bot_api: FakeBotApi, citizen: TelegramUser) -> list[str]:
    return [label for label, _ in bot_api.last_buttons(citizen.chat_id)]


def _english(replies: list[str]) -> str:
    text = "\n".join(replies)
    leaked = SPANISH.findall(text)
    assert not leaked, f"Spanish words {leaked} in an English answer:\n{text}"
    return text


async def test_an_english_telegram_user_gets_the_english_welcome_menu_and_eligibility(
    citizen: TelegramUser, bot_api: FakeBotApi
) -> None:
    citizen.language = "en-US"
    text = _english(await citizen.say("/start"))
    assert text.startswith("Hello! I am the MIES assistant.")
    assert "Privacy notice:" in text and "/borrar_mis_datos" in text
    labels = _labels(bot_api, citizen)
    assert "Why didn't my payment arrive?" in labels
    assert "Where is my office?" in labels
    assert "Events in my parish" in labels

    _english(await citizen.say("/califico"))
    _english(await citizen.say("70"))
    assert "Extreme poverty" in _labels(bot_api, citizen)
    await citizen.press("Extreme poverty")
    await citizen.press("No, none")
    await citizen.press("No")
    text = _english(await citizen.press("No"))
    assert "🔎 It may apply to you: Pensión Mis Mejores Años (pension for older adults)" in text
    assert "Amount: $100.00 a month." in text  # Babel, "en"
    assert "You are 70 years old (it applies from age 65)." in text
    assert "– Cédula (identity card)" in text  # eligibility.toml documents
    assert "This answer is for guidance only." in text  # eligibility.toml texts
    assert "Rules in force since January 1, 2026." in text


async def test_an_english_payment_status_answer_translates_the_data_file_texts(
    citizen: TelegramUser,
) -> None:
    citizen.language = "en"
    person = DEMO_PEOPLE[1]  # suspended: school enrolment missing
    _english(await citizen.say("my payment did not arrive"))
    _english(await citizen.say("/pago"))
    _english(await citizen.say(person.cedula))
    text = _english(await citizen.say(person.birth_date.strftime("%d/%m/%Y")))
    assert "Your payment is suspended for co-responsibility (corresponsabilidad)." in text
    assert "Condition still to be met: the school enrolment of the children aged 5 to 17." in text
    assert "Wednesday, November 25, 9:00" in text  # the demo event, en via Babel
    assert "Your office: District Office 11D06" in text


async def test_idioma_switches_a_spanish_chat_to_english_and_back(
    citizen: TelegramUser, bot_api: FakeBotApi
) -> None:
    replies = await citizen.say("/start")
    assert replies[0].startswith("¡Hola!")
    replies = await citizen.say("/idioma")
    assert "Elija su idioma:" in replies[0]
    text = _english(await citizen.press("English"))
    assert "Done, I will write to you in English." in text
    assert "Where is my office?" in _labels(bot_api, citizen)

    # Telegram still says "es": the chosen language is kept for the chat.
    _english(await citizen.say("/menu"))
    assert "Where is my office?" in _labels(bot_api, citizen)

    await citizen.say("/idioma")
    replies = await citizen.press("Español")
    assert "Listo, le escribiré en español." in replies[0]
    assert "¿Dónde queda mi oficina?" in _labels(bot_api, citizen)


async def test_the_console_chat_speaks_english_when_asked(flow_engine: FlowEngine) -> None:
    lines = iter(["hola", "salir"])
    out: list[str] = []

    async def read() -> str | None:
        return next(lines, None)

    await run_console(flow_engine, read, out.append, locale="en")
    assert out[0].startswith("MIES Conecta — local chat.")
    _english(out[1:])
    assert "Where is my office?" in "\n".join(out)
    assert out[-1] == "Goodbye."
