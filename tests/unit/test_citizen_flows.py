"""Welcome, privacy, my data, erase, language and free-text routing, driven through the engine."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.domain.identity import complete_cedula
from bot.flows.engine import FlowEngine
from bot.services.container import Services
from bot.storage.models import Case, Contact, Conversation
from tests.support.chat import Chat


@pytest.mark.parametrize(
    ("text", "flow", "step"),
    [
        ("no me llegó el bono", "pago", "asking_cedula"),
        ("cuándo pagan", "pago", "asking_cedula"),
        ("Cuando pagan???", "pago", "asking_cedula"),
        ("no me yego el bono", "pago", "asking_cedula"),
        ("quiero el bono para mi mamá", "califico", "asking_age"),
        ("QUIERO EL BONO PARA MI MAMA", "califico", "asking_age"),
        ("donde queda la oficina", "oficina", "asking_place"),
    ],
)
async def test_free_text_lands_in_the_right_flow(
    flow_engine: FlowEngine, services: Services, text: str, flow: str, step: str
) -> None:
    chat = Chat(flow_engine)
    await chat.say("menú")
    await chat.say(text)
    async with services.session_factory() as session:
        conv = await session.scalar(select(Conversation))
    assert conv is not None and (conv.flow, conv.step) == (flow, step)


async def test_unknown_free_text_gets_guesses_a_person_and_the_menu(
    flow_engine: FlowEngine,
) -> None:
    chat = Chat(flow_engine)
    await chat.say("menú")
    replies = await chat.say("asdfgh qwerty")
    assert "No entendí" not in replies[-1].text and "No estoy seguro" in replies[-1].text
    assert [o.key for o in replies[-1].options][-2:] == ["persona", "menu"]


async def test_start_shows_the_privacy_notice_and_the_menu(flow_engine: FlowEngine) -> None:
    chat = Chat(flow_engine)
    replies = await chat.say("/start")
    assert "Aviso de privacidad" in chat.text
    assert replies[-1].options and "¿En qué le puedo ayudar?" in replies[-1].text


async def test_language_switch_answers_in_english(flow_engine: FlowEngine) -> None:
    chat = Chat(flow_engine)
    await chat.say("/idioma")
    await chat.press("en")
    assert chat.last is not None
    assert chat.last.replies[-1].options


async def test_my_data_lists_the_cases_and_erase_unlinks_them(
    flow_engine: FlowEngine, services: Services
) -> None:
    chat = Chat(flow_engine)
    await chat.say("/pago")
    await chat.say(complete_cedula("110999999"))
    await chat.say("01/01/1980")
    await chat.press("caso")
    await chat.say("Tacamoros")
    replies = await chat.say("/mis_datos")
    assert "Casos abiertos: 11D06-2026-" in replies[0].text
    await chat.say("/borrar_mis_datos")
    replies = await chat.press("si")
    assert "borramos sus datos" in replies[0].text
    async with services.session_factory() as session:
        case = await session.scalar(select(Case))
        contact = await session.scalar(select(Contact))
    assert case is not None and case.reporter_contact_id is None
    assert contact is not None and contact.phone is None and contact.consent_at is None
    replies = await chat.say("/mis_datos")
    assert "Casos abiertos: ninguno" in replies[0].text


async def test_help_lists_the_commands(flow_engine: FlowEngine) -> None:
    chat = Chat(flow_engine)
    replies = await chat.say("/ayuda")
    assert "/pago" in replies[0].text and "/borrar_mis_datos" in replies[0].text


async def test_eligibility_is_reachable_from_the_console_chat(flow_engine: FlowEngine) -> None:
    from bot.handlers.console import run_console

    script = iter(["hola", "/califico", "70", "1", "1", "2", "1", "salir"])
    out: list[str] = []

    async def read() -> str | None:
        return next(script)

    await run_console(flow_engine, read, out.append, address="console-user")
    assert any("Puede corresponderle: Pensión Mis Mejores Años" in line for line in out)
