"""«Borrar mis datos» and «/baja_eventos» keep their word: nothing queued before goes out after.

A citizen subscribes by Telegram and SMS, the job queues the event reminders, the citizen erases
their data or unsubscribes, the clock moves past the reminders and the dispatcher runs: the
citizen's chat and phone get nothing, another subscriber still gets hers.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.domain.identity import complete_cedula
from bot.domain.staff import Role
from bot.flows.engine import FlowEngine
from bot.services import cases
from bot.services.container import Services
from bot.storage.models import Case, OutboxMessage
from tests.integration.test_left_out_cases import report
from tests.support.chat import Chat
from tests.support.clock import FakeClock
from tests.support.reminders import (
    CHAT,
    OTHER_CHAT,
    OTHER_PHONE,
    PHONE,
    deliver_everything,
    queue_reminders,
    subscribe,
)
from tests.support.staff_accounts import make_scope


async def test_an_erased_citizen_receives_none_of_the_sms_queued_before(
    services: Services, flow_engine: FlowEngine, clock: FakeClock
) -> None:
    chat = await subscribe(flow_engine, CHAT, PHONE)
    await subscribe(flow_engine, OTHER_CHAT, OTHER_PHONE)
    await queue_reminders(services, clock, expected=8)  # 2 × (Telegram + SMS) × 2

    await chat.say("/borrar_mis_datos")
    replies = await chat.press("si")
    sms, telegram = await deliver_everything(services, clock)

    assert "retiramos 5 mensajes en cola" in replies[0].text  # 4 reminders + the confirmation
    assert [m for m in sms.sent if m.to == PHONE] == []
    assert [t for t in telegram.sent if t[0] == CHAT] == []
    assert len([m for m in sms.sent if m.to == OTHER_PHONE]) == 3  # confirmation + 2 reminders
    assert len([t for t in telegram.sent if t[0] == OTHER_CHAT]) == 2


async def test_an_unsubscribed_citizen_receives_none_of_the_event_sms_queued_before(
    services: Services, flow_engine: FlowEngine, clock: FakeClock
) -> None:
    chat = await subscribe(flow_engine, CHAT, PHONE)
    await subscribe(flow_engine, OTHER_CHAT, OTHER_PHONE)
    await queue_reminders(services, clock, expected=8)  # 2 × (Telegram + SMS) × 2

    await chat.say("/baja_eventos")
    await chat.choose("Todos")
    sms, telegram = await deliver_everything(services, clock)

    assert [m for m in sms.sent if m.to == PHONE] == []
    assert [t for t in telegram.sent if t[0] == CHAT] == []
    assert len([m for m in sms.sent if m.to == OTHER_PHONE]) == 3
    async with services.session_factory() as session:
        withdrawn = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.address.in_((CHAT, PHONE)))
            )
        )
    assert {(m.status, m.last_error) for m in withdrawn} == {("cancelled", "unsubscribed")}


async def test_unsubscribing_one_channel_keeps_the_other_channels_reminders(
    services: Services, flow_engine: FlowEngine, clock: FakeClock
) -> None:
    chat = await subscribe(flow_engine, CHAT, PHONE)
    await subscribe(flow_engine, OTHER_CHAT, OTHER_PHONE)
    await queue_reminders(services, clock, expected=8)  # 2 × (Telegram + SMS) × 2

    await chat.say("/baja_eventos")
    await chat.choose("SMS al")
    sms, telegram = await deliver_everything(services, clock)

    assert [m for m in sms.sent if m.to == PHONE] == []
    assert len([t for t in telegram.sent if t[0] == CHAT]) == 2


async def test_erasing_keeps_the_reminders_another_subscriber_of_a_shared_phone_asked_for(
    services: Services, flow_engine: FlowEngine, clock: FakeClock
) -> None:
    chat = await subscribe(flow_engine, CHAT, PHONE)
    await subscribe(flow_engine, OTHER_CHAT, PHONE)  # one household phone, two chats
    await queue_reminders(services, clock, expected=6)  # two chats + one shared phone, × 2

    await chat.say("/borrar_mis_datos")
    await chat.press("si")
    sms, telegram = await deliver_everything(services, clock)

    assert [t for t in telegram.sent if t[0] == CHAT] == []
    assert len([m for m in sms.sent if m.to == PHONE and "Brigada" in m.body]) == 2


async def test_after_erase_the_case_keeps_no_cedula_nor_link_to_the_citizen(
    services: Services, flow_engine: FlowEngine, clock: FakeClock
) -> None:
    chat = Chat(flow_engine, channel="telegram", address=CHAT)
    await chat.say("/pago")
    await chat.say(complete_cedula("110999999"))
    await chat.say("01/01/1980")
    await chat.press("caso")
    await chat.say("Tacamoros")
    left_out = await report(flow_engine, "Tacamoros", address=CHAT)
    calvas = await make_scope(services, Role.DISTRICT, district_code="11D06")
    async with services.session_factory() as session, session.begin():
        await cases.change_case_status(
            session, calvas, left_out, "en_verificacion", now=clock(), note="Visita el martes"
        )
    await deliver_everything(services, clock)  # the case notice reached the chat

    await chat.say("/borrar_mis_datos")
    await chat.press("si")

    async with services.session_factory() as session:
        rows = list(await session.scalars(select(Case).order_by(Case.id)))
        notices = list(await session.scalars(select(OutboxMessage)))
    assert [c.kind for c in rows] == ["verificacion", "excluido"]
    for case in rows:
        assert case.cedula is None and case.contact_info is None
        assert case.reporter_contact_id is None and case.reporter_consent is False
        assert case.parish_code == "111252" and case.description  # kept for the follow-up
    assert rows[1].person_category == "adulto_mayor"
    assert "Don Segundo" in rows[1].description
    # The notice that was sent stays as a record, but no longer names the case nor its text.
    assert [(n.address, n.body) for n in notices] == [(CHAT, "")]
    assert all(f"case:{c.id}:" not in n.dedupe_key for c in rows for n in notices)
    replies = await chat.say("/mis_datos")
    assert "Casos abiertos: ninguno" in replies[0].text
