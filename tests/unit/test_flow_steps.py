"""Steps declared once, typed state in an engine-owned envelope, and what happens when they break.

A conversation left by the previous version (flat data beside `_last`) goes on after a deploy;
a step the flow does not declare, or a state that does not fit its type, is logged as an error
and answered in Spanish with the menu, never a crash nor a silent restart.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import select

from bot.flows.engine import FlowEngine
from bot.flows.registry import build_flows
from bot.flows.saved_state import dump_state, load_state
from bot.services.container import Services
from bot.storage.demo_data import DEMO_PEOPLE, load_demo_data
from bot.storage.models import Conversation
from tests.support.chat import Chat

PERSON = DEMO_PEOPLE[0]
BIRTH = PERSON.birth_date.strftime("%d/%m/%Y")


async def _stored(services: Services) -> Conversation:
    async with services.session_factory() as session:
        conv = await session.scalar(select(Conversation).where(Conversation.address == "tester"))
    assert conv is not None
    return conv


async def _put(services: Services, *, flow: str, step: str, data: dict[str, Any]) -> None:
    """Leaves the tester's conversation as a previous version (or a damaged row) would."""
    async with services.session_factory() as session, session.begin():
        conv = await session.scalar(select(Conversation).where(Conversation.address == "tester"))
        assert conv is not None
        conv.flow, conv.step, conv.data, conv.options = flow, step, data, []
        conv.expires_at = services.clock().replace(year=2100)


def test_every_flow_declares_a_frozen_state_with_defaults_that_round_trips() -> None:
    for flow in build_flows():
        state = flow.state_type()
        assert flow.state_type.__dataclass_params__.frozen, flow.name
        assert (
            load_state(flow.state_type, {"engine": {}, "state": dump_state(flow.state_type, state)})
            == state
        )


async def test_the_engine_keeps_its_own_keys_apart_from_the_flows_state(
    flow_engine: FlowEngine, services: Services
) -> None:
    chat = Chat(flow_engine)
    await chat.say("/eventos")
    await chat.say("Tacamoros")
    conv = await _stored(services)
    assert conv.step == "choosing_reminders"
    assert set(conv.data) == {"engine", "state"}
    assert conv.data["state"]["parish_name"] == "Tacamoros"
    assert "_last" not in conv.data["state"] and "_flow" not in conv.data["state"]
    assert "recordemos" in conv.data["engine"]["last"]


async def test_a_payment_lookup_left_by_the_previous_version_goes_on_after_a_deploy(
    flow_engine: FlowEngine, services: Services
) -> None:
    async with services.session_factory() as session, session.begin():
        await load_demo_data(session, services.clock())
    chat = Chat(flow_engine)
    await chat.say("hola")
    old = {"cedula": PERSON.cedula, "_last": {"text": "Ahora escriba su fecha de nacimiento"}}
    await _put(services, flow="pago", step="asking_second_factor", data=old)
    await chat.say(BIRTH)
    assert "Su pago está activo." in chat.text


async def test_a_question_left_by_the_previous_version_is_repeated_from_its_last_text(
    flow_engine: FlowEngine, services: Services
) -> None:
    chat = Chat(flow_engine)
    await chat.say("hola")
    old = {"_last": {"text": "¿Cuántos años tiene esa persona?"}, "_flow": "califico"}
    await _put(services, flow="califico", step="asking_age", data=old)
    replies = await chat.say("🙂")
    assert replies[-1].text == "¿Cuántos años tiene esa persona?"
    await chat.say("70")
    assert "Registro Social" in chat.text


async def test_an_unknown_step_is_logged_and_answered_with_the_menu(
    flow_engine: FlowEngine, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    chat = Chat(flow_engine)
    await chat.say("hola")
    await _put(services, flow="eventos", step="asking_colour", data={})
    with caplog.at_level(logging.ERROR, logger="bot.flows.engine"):
        replies = await chat.say("Tacamoros")
    assert "no pude seguir con lo que estábamos haciendo" in replies[0].text
    assert "Elija una opción" in replies[-1].text and replies[-1].options
    assert "Próximos eventos" not in chat.text, "the flow is not silently restarted"
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "asking_colour" in errors[0].getMessage()
    conv = await _stored(services)
    assert (conv.flow, conv.step) == ("menu", "choosing")


async def test_a_state_that_does_not_fit_is_logged_without_its_values_and_shows_the_menu(
    flow_engine: FlowEngine, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    chat = Chat(flow_engine)
    await chat.say("hola")
    damaged = {"engine": {"last": "?"}, "state": {"age": "setenta y dos", "care": ["x"]}}
    await _put(services, flow="califico", step="asking_rs", data=damaged)
    with caplog.at_level(logging.ERROR, logger="bot.flows.engine"):
        replies = await chat.say("Pobreza")
    assert "no pude recuperar lo que me había contado" in replies[0].text
    assert replies[-1].options, "the menu follows"
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    assert "califico" in logged and "age" in logged
    assert "setenta" not in logged, "the citizen's words are not logged"
    conv = await _stored(services)
    assert conv.flow == "menu" and conv.data["state"] == {}
