"""«Quiero hablar con una persona»: the chat goes to the district's inbox, the bot stays quiet while
a person answers, the answer reaches the citizen on their channel, and the bot comes back after."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.domain.staff import Role
from bot.flows.engine import FlowEngine
from bot.services import handoff
from bot.services.container import Services
from bot.services.dialogues import district_of_parish
from bot.storage.models import Contact, HandoffMessage, OutboxMessage, Parish
from tests.support.chat import Chat
from tests.support.clock import FakeClock
from tests.support.staff_accounts import make_scope


async def _tacamoros_citizen(services: Services, engine: FlowEngine) -> tuple[Chat, str]:
    chat = Chat(engine, channel="telegram", address="4242")
    await chat.say("/eventos Tacamoros")  # the bot now knows the citizen's parish
    async with services.session_factory() as session, session.begin():
        code = await session.scalar(select(Parish.code).where(Parish.name == "Tacamoros"))
        contact = await session.scalar(select(Contact).where(Contact.address == "4242"))
        assert code is not None and contact is not None
        contact.parish_code = code
        district = await district_of_parish(session, code)
    assert district is not None
    return chat, district


async def test_a_person_takes_the_chat_answers_it_and_hands_it_back(
    services: Services, flow_engine: FlowEngine, clock: FakeClock
) -> None:
    clock.current = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in Ecuador
    chat, district = await _tacamoros_citizen(services, flow_engine)
    await chat.say("/persona")
    assert "dirección distrital" in chat.text
    assert "Le responderá por este chat" in chat.text
    assert await chat.say("Mi bono no llega desde octubre") == []  # the bot stays quiet

    analyst = await make_scope(services, Role.DISTRICT, district_code=district)
    now = clock()
    async with services.session_factory() as session, session.begin():
        [row] = await handoff.inbox(session, analyst, now=now)
        await handoff.reply(session, analyst, row.id, "Hola, soy Ana del distrito.", now=now)
    assert await chat.say("Gracias Ana") == []
    async with services.session_factory() as session:
        texts = list(await session.scalars(select(HandoffMessage.text).order_by(HandoffMessage.id)))
        sent = list(await session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id)))
    assert texts[-3:] == [
        "Mi bono no llega desde octubre",
        "Hola, soy Ana del distrito.",
        "Gracias Ana",
    ]
    assert sent[-1] == "Hola, soy Ana del distrito."

    async with services.session_factory() as session, session.begin():
        await handoff.hand_back(session, analyst, row.id, now=now, close=False)
    await chat.say("menu")
    assert "¿En qué le puedo ayudar?" in chat.text


async def test_a_held_chat_waits_for_hours_without_timing_out(
    services: Services, flow_engine: FlowEngine, clock: FakeClock
) -> None:
    clock.current = datetime(2026, 12, 5, 22, 0, tzinfo=UTC)  # Saturday 17:00 in Ecuador
    chat, _ = await _tacamoros_citizen(services, flow_engine)
    await chat.say("/persona")
    assert "Ahora no hay nadie atendiendo" in chat.text
    assert "lunes" in chat.text  # Monday morning
    clock.advance(hours=5)
    replies = await chat.say("sigo esperando")
    assert "inactividad" not in " ".join(r.text for r in replies)
    assert "quedó guardado" in replies[0].text  # reminded, not every message
    assert await chat.say("hola?") == []


async def test_writing_menu_takes_the_citizen_back_to_the_bot(
    services: Services, flow_engine: FlowEngine
) -> None:
    chat, district = await _tacamoros_citizen(services, flow_engine)
    await chat.say("/persona")
    await chat.say("menú")
    assert "Volvió al asistente automático" in chat.text
    analyst = await make_scope(services, Role.DISTRICT, district_code=district)
    async with services.session_factory() as session:
        assert await handoff.inbox(session, analyst, now=services.clock()) == []
