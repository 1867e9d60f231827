"""English free text and the engine's English fixed words, driven through the engine."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.flows.engine import FlowEngine
from bot.services.container import Services
from bot.storage.models import Conversation
from tests.support.chat import Chat


async def _state(services: Services) -> tuple[str, str]:
    async with services.session_factory() as session:
        conv = await session.scalar(select(Conversation))
    assert conv is not None
    return conv.flow, conv.step


@pytest.mark.parametrize("locale", ["en", "es_EC"])
@pytest.mark.parametrize(
    ("text", "flow", "step"),
    [
        ("why didn't my payment arrive", "pago", "asking_cedula"),
        ("am I eligible?", "califico", "asking_age"),
        ("where is my office", "oficina", "asking_place"),
        ("events", "eventos", "asking_parish"),
        ("no me llegó el bono", "pago", "asking_cedula"),
    ],
)
async def test_free_text_in_either_language_starts_the_flow_whatever_the_locale(
    flow_engine: FlowEngine, services: Services, locale: str, text: str, flow: str, step: str
) -> None:
    chat = Chat(flow_engine, locale=locale)
    await chat.say("menu")
    await chat.say(text)
    assert await _state(services) == (flow, step)


async def test_an_english_user_asking_about_the_payment_is_answered_in_english(
    flow_engine: FlowEngine, services: Services
) -> None:
    chat = Chat(flow_engine, locale="en")
    await chat.say("hi")
    await chat.say("When is my payment?")
    assert "Type your cédula (ID) number (10 digits)." in chat.text
    assert "No entendí" not in chat.text and "I did not understand" not in chat.text
    assert await _state(services) == ("pago", "asking_cedula")


async def test_help_in_english_opens_the_help(flow_engine: FlowEngine) -> None:
    chat = Chat(flow_engine, locale="en")
    await chat.say("menu")
    await chat.say("help")
    assert "/califico" in chat.text and "/pago" in chat.text


@pytest.mark.parametrize("words", ["hello", "Hi", "good morning", "hey"])
async def test_an_english_greeting_in_the_middle_of_a_flow_starts_over_with_the_welcome(
    flow_engine: FlowEngine, services: Services, words: str
) -> None:
    chat = Chat(flow_engine, locale="en")
    await chat.say("/pago")
    await chat.say(words)
    assert chat.text.startswith("Hello! I am the MIES assistant.")
    assert await _state(services) == ("menu", "choosing")


@pytest.mark.parametrize("words", ["never mind", "Quit", "exit", "cancel"])
async def test_english_cancel_words_drop_the_flow(
    flow_engine: FlowEngine, services: Services, words: str
) -> None:
    chat = Chat(flow_engine, locale="en")
    await chat.say("/pago")
    await chat.say(words)
    assert "Nothing you did not confirm was saved." in chat.text
    assert await _state(services) == ("menu", "choosing")


@pytest.mark.parametrize("words", ["start over", "main menu", "Back", "go back", "menu"])
async def test_english_menu_words_show_the_menu(
    flow_engine: FlowEngine, services: Services, words: str
) -> None:
    chat = Chat(flow_engine, locale="en")
    await chat.say("/pago")
    await chat.say(words)
    assert chat.last is not None and chat.last.replies[-1].options
    assert "How can I help you?" in chat.text
    assert await _state(services) == ("menu", "choosing")


async def test_unrelated_english_text_at_the_menu_starts_no_flow(
    flow_engine: FlowEngine, services: Services
) -> None:
    chat = Chat(flow_engine, locale="en")
    await chat.say("menu")
    await chat.say("my cat is sick")
    assert "I am not sure I understood you." in chat.text
    assert chat.last is not None and chat.last.replies[-1].options[-1].key == "menu"
    assert await _state(services) == ("menu", "choosing")


@pytest.mark.parametrize("words", ["¡Cancelar!", "cancelar.", "Cancel 🙏", "  CANCELAR  "])
async def test_punctuation_and_emojis_around_a_fixed_word_do_not_hide_it(
    flow_engine: FlowEngine, services: Services, words: str
) -> None:
    chat = Chat(flow_engine)
    await chat.say("/pago")
    await chat.say(words)
    assert "Nada de lo que no confirmó quedó guardado." in chat.text
    assert await _state(services) == ("menu", "choosing")


@pytest.mark.parametrize(
    ("words", "expected"), [("Menú.", "¿En qué le puedo ayudar?"), ("¡Hola! 👋", "¡Hola! Soy")]
)
async def test_menu_and_greeting_with_punctuation_mid_flow(
    flow_engine: FlowEngine, services: Services, words: str, expected: str
) -> None:
    chat = Chat(flow_engine)
    await chat.say("/pago")
    await chat.say(words)
    assert expected in chat.text
    assert await _state(services) == ("menu", "choosing")
