"""«Eventos en mi parroquia» through the engine: listing, time zones, reminders, consent, baja."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.flows.engine import FlowEngine
from bot.services.container import Services
from bot.storage.demo_data import load_demo_data
from bot.storage.models import AuditEntry, Contact, Event, OptOut, OutboxMessage, Subscription
from tests.support.chat import Chat


@pytest.fixture(autouse=True)
async def demo(services: Services) -> None:
    async with services.session_factory() as session, session.begin():
        await load_demo_data(session, services.clock())


async def _subscriptions(services: Services) -> list[tuple[str, str, str, str]]:
    async with services.session_factory() as session:
        rows = await session.scalars(select(Subscription).order_by(Subscription.id))
        return [(s.parish_code, s.channel, s.address, s.topic) for s in rows]


async def test_tacamoros_events_are_listed_with_spanish_dates_and_kinds(
    flow_engine: FlowEngine,
) -> None:
    chat = Chat(flow_engine)
    await chat.say("/eventos")
    replies = await chat.say("tacamoros")
    text = replies[0].text
    assert "Próximos eventos en Tacamoros (Sozoranga, Loja):" in text
    assert "• Sensibilización: Sensibilización sobre corresponsabilidad del BDH" in text
    assert "miércoles 25 de noviembre, 09:00, en Casa comunal de Tacamoros" in text
    assert "• Brigada social: Brigada Social por el Nuevo Ecuador" in text
    assert "miércoles 2 de diciembre, 09:00" in text
    assert text.index("25 de noviembre") < text.index("2 de diciembre")
    labels = [o.label for o in replies[0].options]
    assert labels == ["Avisarme por SMS", "Volver al menú"]  # console: no Telegram option


async def test_a_typo_offers_the_nearest_parishes_as_buttons(flow_engine: FlowEngine) -> None:
    chat = Chat(flow_engine)
    await chat.say("/eventos")
    replies = await chat.say("Takamorros")
    assert "Las más parecidas son" in replies[-1].text
    assert "Tacamoros (Sozoranga, Loja)" in [o.label for o in replies[-1].options]
    replies = await chat.choose("Tacamoros")
    assert "Próximos eventos en Tacamoros" in replies[0].text


async def test_galapagos_events_are_shown_in_galapagos_time(
    flow_engine: FlowEngine, services: Services
) -> None:
    async with services.session_factory() as session, session.begin():
        session.add(
            Event(
                kind="brigada_social",
                title="Brigada en la isla",
                parish_code="200250",  # Puerto Villamil, Isabela (province 20)
                starts_at=datetime(2026, 11, 28, 15, 0, tzinfo=UTC),
                place="Muelle",
                created_at=services.clock(),
            )
        )
    chat = Chat(flow_engine)
    replies = await chat.say("/eventos Puerto Villamil")
    assert "sábado 28 de noviembre, 09:00, en Muelle" in replies[0].text  # UTC-6, not 10:00


async def test_a_parish_without_events_says_so_and_still_offers_reminders(
    flow_engine: FlowEngine,
) -> None:
    chat = Chat(flow_engine)
    replies = await chat.say("/eventos Puerto Villamil")
    assert "no hay eventos programados" in replies[0].text
    assert replies[0].options[0].label == "Avisarme por SMS"


async def test_sms_reminder_rejects_bad_phones_each_with_its_own_message_then_subscribes(
    flow_engine: FlowEngine, services: Services
) -> None:
    chat = Chat(flow_engine)
    await chat.say("/eventos tacamoros")
    replies = await chat.choose("SMS")
    assert "número de celular" in replies[0].text
    messages = {}
    for bad in ("099-abc", "12345", "072345678", "+1 202 555 0143"):
        replies = await chat.say(bad)
        messages[bad] = replies[0].text
        assert "número de celular" in replies[-1].text  # the question is asked again
    assert "solo puede tener dígitos" in messages["099-abc"]
    assert "no es válido" in messages["12345"]
    assert "ese número es fijo" in messages["072345678"]
    assert "celulares de Ecuador" in messages["+1 202 555 0143"]
    assert len(set(messages.values())) == 4
    replies = await chat.say("099 123 4567")
    assert "+59399****567" in replies[0].text and "¿Acepta?" in replies[0].text
    assert await _subscriptions(services) == []  # nothing before consent
    replies = await chat.choose("Sí, acepto")
    assert "le recordaremos por SMS al +59399****567" in replies[0].text
    assert await _subscriptions(services) == [("111252", "sms", "+593991234567", "eventos")]
    async with services.session_factory() as session:
        contact = await session.scalar(select(Contact))
        sub = await session.scalar(select(Subscription))
        confirmation = await session.scalar(select(OutboxMessage))
        audited = await session.scalar(
            select(func.count()).where(AuditEntry.action == "subscription_added")
        )
    assert contact is not None and sub is not None
    assert contact.consent_at == services.clock() and contact.consent_version
    assert contact.phone == "+593991234567" and contact.parish_code == "111252"
    assert sub.consent_at == services.clock()
    assert confirmation is not None and confirmation.address == "+593991234567"
    assert "Responda BAJA" in confirmation.body
    assert audited == 1


async def test_declining_consent_stores_nothing(
    flow_engine: FlowEngine, services: Services
) -> None:
    chat = Chat(flow_engine)
    await chat.say("/eventos tacamoros")
    await chat.choose("SMS")
    await chat.say("0991234567")
    replies = await chat.choose("No, gracias")
    assert "no guardamos nada" in replies[0].text
    assert await _subscriptions(services) == []
    async with services.session_factory() as session:
        contact = await session.scalar(select(Contact))
    assert contact is not None and contact.phone is None and contact.consent_at is None


async def test_an_opted_out_phone_is_told_how_to_opt_back_in(
    flow_engine: FlowEngine, services: Services
) -> None:
    async with services.session_factory() as session, session.begin():
        session.add(OptOut(phone="+593991234567", opted_out_at=services.clock(), source="sms"))
    chat = Chat(flow_engine)
    await chat.say("/eventos tacamoros")
    await chat.choose("SMS")
    replies = await chat.say("0991234567")
    assert "pidió no recibir SMS (BAJA)" in replies[0].text and "ALTA" in replies[0].text
    assert await _subscriptions(services) == []


async def test_unsubscribe_from_the_flow_and_the_known_phone_button(
    flow_engine: FlowEngine, services: Services
) -> None:
    chat = Chat(flow_engine)
    await chat.say("/eventos tacamoros")
    await chat.choose("SMS")
    await chat.say("0991234567")
    await chat.choose("acepto")
    replies = await chat.say("/eventos")
    replies = await chat.choose("Tacamoros")  # the remembered parish is offered
    labels = [o.label for o in replies[0].options]
    assert "Avisarme por SMS" not in labels and "Dejar de recibir recordatorios" in labels
    replies = await chat.choose("Dejar de recibir")
    assert "ya no le enviaremos recordatorios de eventos de Tacamoros" in replies[0].text
    assert await _subscriptions(services) == []
    await chat.say("/eventos tacamoros")
    replies = await chat.choose("SMS")
    assert [o.label for o in replies[0].options] == ["Usar +59399****567"]
    await chat.choose("Usar")
    await chat.choose("acepto")
    assert await _subscriptions(services) == [("111252", "sms", "+593991234567", "eventos")]


async def test_baja_eventos_removes_one_or_asks_which(
    flow_engine: FlowEngine, services: Services
) -> None:
    chat = Chat(flow_engine)
    replies = await chat.say("/baja_eventos")
    assert "No tiene recordatorios de eventos activos" in replies[0].text
    for parish in ("tacamoros", "Puerto Villamil"):
        await chat.say(f"/eventos {parish}")
        await chat.choose("SMS")
        await chat.say("0991234567")
        await chat.choose("acepto")
    assert len(await _subscriptions(services)) == 2
    replies = await chat.say("/baja_eventos")
    assert [o.label for o in replies[0].options] == [
        "Tacamoros, SMS al +59399****567",
        "Puerto Villamil, SMS al +59399****567",
        "Todos",
    ]
    replies = await chat.choose("Puerto Villamil")
    assert "Puerto Villamil, SMS al" in replies[0].text
    assert await _subscriptions(services) == [("111252", "sms", "+593991234567", "eventos")]
    replies = await chat.say("no quiero recordatorios")
    assert "ya no le enviaremos estos recordatorios" in replies[0].text
    assert await _subscriptions(services) == []


async def test_free_text_about_events_lands_in_the_events_flow(flow_engine: FlowEngine) -> None:
    for text in ("cuándo viene la brigada", "hay alguna reunion?", "EVENTOS"):
        chat = Chat(flow_engine, address=text)
        await chat.say("menú")
        replies = await chat.say(text)
        assert "próximos eventos" in replies[0].text, text


async def test_unexpected_text_at_the_reminder_choice_repeats_the_options(
    flow_engine: FlowEngine,
) -> None:
    chat = Chat(flow_engine)
    await chat.say("/eventos tacamoros")
    replies = await chat.say("qué?")
    assert "Elija una de las opciones" in replies[0].text and replies[0].options
