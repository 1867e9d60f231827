"""The flow engine: numbered options, stale buttons, bad input, cancel, expiry and restarts."""

from __future__ import annotations

from bot.flows.engine import FlowEngine
from bot.flows.registry import build_flows
from bot.services.container import Services
from tests.support.chat import Chat
from tests.support.clock import FakeClock


async def test_first_message_gets_the_menu(flow_engine: FlowEngine) -> None:
    chat = Chat(flow_engine)
    replies = await chat.say("hola")
    assert replies[-1].options, "the menu offers options"


async def test_number_chooses_the_option_and_the_office_is_found(flow_engine: FlowEngine) -> None:
    chat = Chat(flow_engine)
    await chat.say("hola")
    index = [o.key for o in chat.last.replies[-1].options].index("oficina") + 1  # type: ignore[union-attr]
    await chat.say(str(index))
    await chat.say("Tacamoros")
    assert "11D06" in chat.text


async def test_old_button_is_answered_and_the_question_repeated(flow_engine: FlowEngine) -> None:
    chat = Chat(flow_engine)
    await chat.say("hola")
    old_turn = chat.last.turn  # type: ignore[union-attr]
    await chat.press("oficina")
    replies = await chat.press("oficina", turn=old_turn)
    assert "botón es de un mensaje anterior" in replies[0].text
    assert "parroquia o cantón" in replies[-1].text


async def test_photo_and_long_and_empty_messages_get_a_clear_answer(
    flow_engine: FlowEngine,
) -> None:
    chat = Chat(flow_engine)
    await chat.say("hola")
    from bot.flows.base import Incoming

    photo = await flow_engine.handle(Incoming("console", "tester", media="photo"))
    assert "solo puedo leer mensajes de texto" in photo.replies[0].text
    long = await chat.say("a" * 10_000)
    assert "muy largo (10000 caracteres)" in long[0].text
    empty = await chat.say("   ")
    assert "No recibí ningún texto" in empty[0].text


async def test_cancel_returns_to_the_menu(flow_engine: FlowEngine) -> None:
    chat = Chat(flow_engine)
    await chat.say("hola")
    await chat.press("oficina")
    replies = await chat.say("/cancelar")
    assert "dejamos eso" in replies[0].text
    assert replies[-1].options


async def test_state_survives_a_restart(services: Services) -> None:
    chat = Chat(FlowEngine(services, build_flows()))
    await chat.say("hola")
    await chat.press("oficina")
    restarted = Chat(FlowEngine(services, build_flows()))
    await restarted.say("Sozoranga")
    assert "11D06" in restarted.text


async def test_inactivity_expires_the_conversation(
    flow_engine: FlowEngine, clock: FakeClock
) -> None:
    chat = Chat(flow_engine)
    await chat.say("hola")
    await chat.press("oficina")
    clock.advance(hours=2)
    replies = await chat.say("Tacamoros")
    assert "se cerró por inactividad" in replies[0].text


async def test_free_text_lands_in_the_office_flow(flow_engine: FlowEngine) -> None:
    chat = Chat(flow_engine)
    await chat.say("hola")
    await chat.say("donde queda la oficina del mies")
    assert "parroquia o cantón" in chat.text


async def test_command_arguments_reach_the_flow(flow_engine: FlowEngine) -> None:
    chat = Chat(flow_engine)
    await chat.say("/oficina Tacamoros")
    assert "11D06" in chat.text
