"""A conversation keeps only what its next step needs, and nothing once over (issue 18, item 9)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.flows.engine import FlowEngine
from bot.services.container import Services
from bot.storage.conversation_retention import purge_expired_conversations
from bot.storage.demo_data import DEMO_PEOPLE, load_demo_data
from bot.storage.models import Conversation
from tests.support.chat import Chat
from tests.support.clock import FakeClock

PERSON = DEMO_PEOPLE[0]
BIRTH = PERSON.birth_date.strftime("%d/%m/%Y")


@pytest.fixture(autouse=True)
async def demo(services: Services) -> None:
    async with services.session_factory() as session, session.begin():
        await load_demo_data(session, services.clock())


async def _stored(services: Services, address: str = "tester") -> Conversation:
    async with services.session_factory() as session:
        conv = await session.scalar(
            select(Conversation).where(
                Conversation.channel == "console", Conversation.address == address
            )
        )
    assert conv is not None
    return conv


def _dump(conv: Conversation) -> str:
    return json.dumps([conv.data, conv.options], ensure_ascii=False)


async def test_a_finished_payment_status_conversation_keeps_no_cedula_nor_reply_in_its_stored_data(
    flow_engine: FlowEngine, services: Services
) -> None:
    chat = Chat(flow_engine)
    await chat.say("/pago")
    await chat.say(PERSON.cedula)
    assert PERSON.cedula in _dump(await _stored(services)), "the next step needs the cédula"
    await chat.say(BIRTH)
    assert "Su pago está activo." in chat.text
    conv = await _stored(services)
    stored = _dump(conv)
    for kept in (PERSON.cedula, "activo", "104,00", "María"):
        assert kept not in stored, kept
    assert conv.flow == "menu"
    assert conv.data == {"engine": {"last": "¿Le ayudo con algo más?"}, "state": {}}
    replies = await chat.say("🙂")  # a repeat shows the menu's question, not the status
    assert "Su pago está activo" not in "\n".join(r.text for r in replies)


async def test_a_payment_status_conversation_left_half_way_keeps_no_cedula(
    flow_engine: FlowEngine, services: Services
) -> None:
    chat = Chat(flow_engine)
    await chat.say("/pago")
    await chat.say(PERSON.cedula)
    await chat.say("cancelar")
    assert PERSON.cedula not in _dump(await _stored(services))
    await chat.say("/pago")
    await chat.say(PERSON.cedula)
    await chat.say("01/01/1980")
    await chat.choose("No, gracias")
    assert PERSON.cedula not in _dump(await _stored(services))


async def test_an_expired_conversations_data_is_purged_when_it_is_read(
    flow_engine: FlowEngine, services: Services, clock: FakeClock
) -> None:
    chat = Chat(flow_engine)
    await chat.say("/pago")
    await chat.say(PERSON.cedula)
    clock.advance(hours=2)
    replies = await chat.say(BIRTH)
    assert "se cerró por inactividad" in replies[0].text
    assert "Su pago está activo" not in chat.text
    assert PERSON.cedula not in _dump(await _stored(services))


async def test_an_expired_conversations_data_is_purged_by_the_periodic_purge(
    flow_engine: FlowEngine, services: Services, clock: FakeClock
) -> None:
    chat = Chat(flow_engine)
    await chat.say("/pago")
    await chat.say(PERSON.cedula)
    fresh = Chat(flow_engine, address="still-talking")
    await fresh.say("/pago")
    clock.advance(minutes=20)
    await fresh.say(DEMO_PEOPLE[1].cedula)
    clock.advance(minutes=15)  # the first conversation timed out, the second did not
    async with services.session_factory() as session, session.begin():
        assert await purge_expired_conversations(session, clock()) == 1
    async with services.session_factory() as session, session.begin():
        assert await purge_expired_conversations(session, clock()) == 0, "a second run is a no-op"
    purged = await _stored(services)
    assert purged.data == {} and purged.options == []
    assert DEMO_PEOPLE[1].cedula in _dump(await _stored(services, "still-talking"))
    replies = await chat.say(BIRTH)
    assert "se cerró por inactividad" in replies[0].text
    assert "Su pago está activo" not in chat.text
