"""Events and reminders through the real Telegram Application against the fake Bot API."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.services.container import Services
from bot.storage.demo_data import load_demo_data
from bot.storage.models import Contact, OutboxMessage, Subscription
from notificaciones.jobs import materialise_event_announcements
from tests.support.fake_bot_api import TelegramUser


@pytest.fixture(autouse=True)
async def demo(services: Services) -> None:
    async with services.session_factory() as session, session.begin():
        await load_demo_data(session, services.clock())


async def _subscriptions(services: Services) -> list[tuple[str, str, str]]:
    async with services.session_factory() as session:
        rows = await session.scalars(select(Subscription).order_by(Subscription.id))
        return [(s.channel, s.address, s.topic) for s in rows]


async def test_a_citizen_lists_tacamoros_events_and_subscribes_by_telegram_and_sms(
    citizen: TelegramUser, services: Services
) -> None:
    replies = await citizen.say("¿cuándo viene la brigada?")
    assert "próximos eventos" in replies[0]
    replies = await citizen.say("tacamoros")
    assert "miércoles 25 de noviembre, 09:00, en Casa comunal de Tacamoros" in replies[0]
    assert "Brigada social: Brigada Social por el Nuevo Ecuador" in replies[0]

    await citizen.press("Telegram")
    replies = await citizen.press("acepto")
    assert "le recordaremos por este chat los eventos de Tacamoros" in replies[0]
    assert await _subscriptions(services) == [("telegram", str(citizen.chat_id), "eventos")]

    await citizen.say("/eventos")
    await citizen.press("Tacamoros")  # the remembered parish
    replies = await citizen.press("SMS")
    assert "número de celular" in replies[0]
    replies = await citizen.say("0991234")
    assert "no es válido" in replies[0]
    replies = await citizen.say("02 234 5678")
    assert "ese número es fijo" in replies[0]
    replies = await citizen.say("0987654321")
    assert "¿Acepta?" in replies[0]
    replies = await citizen.press("acepto")
    assert "por SMS al +59398****321" in replies[0]
    assert await _subscriptions(services) == [
        ("telegram", str(citizen.chat_id), "eventos"),
        ("sms", "+593987654321", "eventos"),
    ]
    async with services.session_factory() as session:
        contact = await session.scalar(select(Contact))
    assert contact is not None and contact.consent_at is not None
    assert contact.parish_code == "111252" and contact.phone == "+593987654321"

    replies = await citizen.say("/baja_eventos")
    assert "¿Qué recordatorios quiere dejar de recibir?" in replies[0]
    replies = await citizen.press("Todos")
    assert "Tacamoros, por Telegram" in replies[0] and "Tacamoros, SMS al" in replies[0]
    assert await _subscriptions(services) == []


async def test_unsubscribe_from_the_events_flow_itself(
    citizen: TelegramUser, services: Services
) -> None:
    await citizen.say("/eventos Tacamoros")
    await citizen.press("Telegram")
    await citizen.press("acepto")
    await citizen.say("/eventos Tacamoros")
    replies = await citizen.press("Dejar de recibir")
    assert "ya no le enviaremos recordatorios de eventos de Tacamoros" in replies[0]
    assert await _subscriptions(services) == []


async def test_a_subscription_feeds_the_event_announcement_job(
    citizen: TelegramUser, services: Services
) -> None:
    await citizen.say("/eventos Tacamoros")
    await citizen.press("Telegram")
    await citizen.press("acepto")
    await citizen.say("/eventos Tacamoros")
    await citizen.press("SMS")
    await citizen.say("0987654321")
    await citizen.press("acepto")
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        added = await materialise_event_announcements(session, services.settings, now)
    assert added > 0
    async with services.session_factory() as session:
        rows = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "event_announcement")
            )
        )
    mine = {(r.channel, r.address) for r in rows}
    assert ("telegram", str(citizen.chat_id)) in mine
    assert ("sms", "+593987654321") in mine
    brigada = [r for r in rows if r.address == str(citizen.chat_id) and "Brigada" in r.body]
    assert len(brigada) == 2  # 7 days and 1 day before the brigada at +12 days
    assert all("miércoles 2 de diciembre, 09:00" in r.body for r in brigada)
    async with services.session_factory() as session, session.begin():
        again = await materialise_event_announcements(session, services.settings, now)
    assert again == 0  # idempotent
