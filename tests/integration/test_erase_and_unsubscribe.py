"""«Borrar mis datos» and «/baja_eventos» keep their word: nothing queued before goes out after.

A citizen subscribes by Telegram and SMS, the job queues the event reminders, the citizen erases
their data or unsubscribes, the clock moves past the reminders and the dispatcher runs: the
citizen's chat and phone get nothing, another subscriber still gets hers.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.domain.identity import complete_cedula
from bot.domain.staff import Role
from bot.flows.engine import FlowEngine
from bot.services import cases
from bot.services.container import Services
from bot.storage.models import Case, Event, OutboxMessage
from notificaciones.dispatcher import Dispatcher
from notificaciones.gateways.sms import ConsoleSmsGateway
from notificaciones.gateways.telegram import ConsoleTelegramSender
from notificaciones.jobs import run_jobs
from tests.integration.test_left_out_cases import report
from tests.support.chat import Chat
from tests.support.clock import FakeClock
from tests.support.staff_accounts import make_scope

CHAT, PHONE = "5550001", "+593991234567"
OTHER_CHAT, OTHER_PHONE = "5550002", "+593997654321"
EVENT_STARTS = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)  # reminders 7 and 1 days before


async def _subscribe(engine: FlowEngine, chat_id: str, phone: str) -> Chat:
    """A Telegram citizen who asks for Tacamoros reminders by Telegram and by SMS."""
    chat = Chat(engine, channel="telegram", address=chat_id)
    for option in ("sub_telegram", "sub_sms"):
        await chat.say("/eventos Tacamoros")
        await chat.press(option)
        if option == "sub_sms":
            await chat.say(phone)
        await chat.press("accept")
    return chat


async def _queue_reminders(services: Services, clock: FakeClock) -> None:
    async with services.session_factory() as session, session.begin():
        session.add(
            Event(
                kind="brigada_social",
                title="Brigada Social",
                parish_code="111252",
                starts_at=EVENT_STARTS,
                place="Casa comunal",
                reminder_offsets_minutes=[10080, 1440],
                created_at=clock(),
            )
        )
    async with services.session_factory() as session, session.begin():
        queued = await run_jobs(session, services.settings, clock())
    assert queued.announcements == 8  # 2 subscribers × (Telegram + SMS) × 2 reminders


async def _deliver_everything(
    services: Services, clock: FakeClock
) -> tuple[ConsoleSmsGateway, ConsoleTelegramSender]:
    """Moves the clock past every reminder and sends whatever is still due."""
    clock.current = datetime(2026, 12, 9, 16, 0, tzinfo=UTC)  # 11:00 in Loja, the day before
    sms = ConsoleSmsGateway(write=lambda _line: None)
    telegram = ConsoleTelegramSender(write=lambda _line: None)
    dispatcher = Dispatcher(
        services.session_factory, services.settings, sms, clock=clock, telegram=telegram
    )
    await dispatcher.run_until_idle()
    return sms, telegram


async def test_an_erased_citizen_receives_none_of_the_sms_queued_before(
    services: Services, flow_engine: FlowEngine, clock: FakeClock
) -> None:
    chat = await _subscribe(flow_engine, CHAT, PHONE)
    await _subscribe(flow_engine, OTHER_CHAT, OTHER_PHONE)
    await _queue_reminders(services, clock)

    await chat.say("/borrar_mis_datos")
    replies = await chat.press("si")
    sms, telegram = await _deliver_everything(services, clock)

    assert "retiramos 5 mensajes en cola" in replies[0].text  # 4 reminders + the confirmation
    assert [m for m in sms.sent if m.to == PHONE] == []
    assert [t for t in telegram.sent if t[0] == CHAT] == []
    assert len([m for m in sms.sent if m.to == OTHER_PHONE]) == 3  # confirmation + 2 reminders
    assert len([t for t in telegram.sent if t[0] == OTHER_CHAT]) == 2


async def test_an_unsubscribed_citizen_receives_none_of_the_event_sms_queued_before(
    services: Services, flow_engine: FlowEngine, clock: FakeClock
) -> None:
    chat = await _subscribe(flow_engine, CHAT, PHONE)
    await _subscribe(flow_engine, OTHER_CHAT, OTHER_PHONE)
    await _queue_reminders(services, clock)

    await chat.say("/baja_eventos")
    await chat.choose("Todos")
    sms, telegram = await _deliver_everything(services, clock)

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
    chat = await _subscribe(flow_engine, CHAT, PHONE)
    await _subscribe(flow_engine, OTHER_CHAT, OTHER_PHONE)
    await _queue_reminders(services, clock)

    await chat.say("/baja_eventos")
    await chat.choose("SMS al")
    sms, telegram = await _deliver_everything(services, clock)

    assert [m for m in sms.sent if m.to == PHONE] == []
    assert len([t for t in telegram.sent if t[0] == CHAT]) == 2


async def test_erasing_keeps_the_reminders_another_subscriber_of_a_shared_phone_asked_for(
    services: Services, flow_engine: FlowEngine, clock: FakeClock
) -> None:
    chat = await _subscribe(flow_engine, CHAT, PHONE)
    await _subscribe(flow_engine, OTHER_CHAT, PHONE)  # one household phone, two chats
    await _queue_reminders_shared(services, clock)

    await chat.say("/borrar_mis_datos")
    await chat.press("si")
    sms, telegram = await _deliver_everything(services, clock)

    assert [t for t in telegram.sent if t[0] == CHAT] == []
    assert len([m for m in sms.sent if m.to == PHONE and "Brigada" in m.body]) == 2


async def _queue_reminders_shared(services: Services, clock: FakeClock) -> None:
    async with services.session_factory() as session, session.begin():
        session.add(
            Event(
                kind="brigada_social",
                title="Brigada Social",
                parish_code="111252",
                starts_at=EVENT_STARTS,
                place="Casa comunal",
                reminder_offsets_minutes=[10080, 1440],
                created_at=clock(),
            )
        )
    async with services.session_factory() as session, session.begin():
        queued = await run_jobs(session, services.settings, clock())
    assert queued.announcements == 6  # two chats + one shared phone, × 2 reminders


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
    await _deliver_everything(services, clock)  # the case notice reached the chat

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
