"""A message whose recipient said «stop» never goes out, even one caught mid-send.

An SMS whose send timed out before Twilio received it is UNCONFIRMED; two minutes later the
provider's listing proves it never arrived and reconciliation puts it back to pending. If the
citizen erased their data or the phone sent BAJA in between, that pending row is withdrawn when
the dispatcher claims it, not sent. And «Dejar de recibir» on commitments withdraws the deadline
reminders already queued.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.flows.engine import FlowEngine
from bot.handlers.sms.inbound import keyword_reply
from bot.services.container import Services
from bot.storage.models import OutboxMessage
from notificaciones import outbox_states
from notificaciones.gateways.twilio import TwilioSmsGateway
from notificaciones.jobs import materialise_commitment_reminders
from tests.integration.test_commitments import _dialogue_with_commitment
from tests.integration.test_twilio_gateway import twilio_settings
from tests.support.chat import Chat
from tests.support.clock import FakeClock
from tests.support.reminders import (
    CHAT,
    DELIVERY_TIME,
    OTHER_CHAT,
    OTHER_PHONE,
    PHONE,
    deliver_everything,
    dispatcher,
    queue_reminders,
    subscribe,
)
from tests.support.twilio_fake import FakeTwilioApi


async def _rows_to(services: Services, address: str) -> list[OutboxMessage]:
    async with services.session_factory() as session:
        query = select(OutboxMessage).where(OutboxMessage.address == address)
        return list(await session.scalars(query.order_by(OutboxMessage.id)))


async def _sends_dropped_for(
    services: Services, flow_engine: FlowEngine, clock: FakeClock
) -> tuple[Chat, FakeTwilioApi, TwilioSmsGateway]:
    """Two subscribers' reminders are due; every SMS to PHONE times out before Twilio has it."""
    chat = await subscribe(flow_engine, CHAT, PHONE)
    await subscribe(flow_engine, OTHER_CHAT, OTHER_PHONE)
    await queue_reminders(services, clock, expected=8)
    api = FakeTwilioApi(now=DELIVERY_TIME)
    api.timeout_for.add(PHONE)
    gateway = TwilioSmsGateway(twilio_settings(), api)
    clock.current = DELIVERY_TIME
    await dispatcher(services, clock, gateway).run_until_idle()
    assert {r.status for r in await _rows_to(services, PHONE)} == {outbox_states.UNCONFIRMED}
    api.timeout_for.clear()  # the network is back: a re-send would now arrive
    return chat, api, gateway


async def _reconcile_and_dispatch(
    services: Services, clock: FakeClock, gateway: TwilioSmsGateway
) -> None:
    """Past the safe window the provider's «not listed» is proof: back to pending, then claimed."""
    sender = dispatcher(services, clock, gateway)
    for minutes in (3, 10):
        clock.advance(minutes=minutes)
        await sender.run_until_idle()


async def test_a_send_caught_in_flight_by_an_erasure_is_never_sent_after_reconciliation(
    services: Services, flow_engine: FlowEngine, clock: FakeClock
) -> None:
    chat, api, gateway = await _sends_dropped_for(services, flow_engine, clock)

    await chat.say("/borrar_mis_datos")
    await chat.press("si")
    await _reconcile_and_dispatch(services, clock, gateway)

    assert api.sent_to(PHONE) == []
    rows = await _rows_to(services, PHONE)
    assert {(r.status, r.last_error) for r in rows} == {
        (outbox_states.CANCELLED, "withdrawn: erased")
    }
    assert all(r.dedupe_key == f"withdrawn:{r.id}" for r in rows)  # no longer names the phone
    assert len(api.sent_to(OTHER_PHONE)) == 3  # the neighbour's confirmation and 2 reminders


async def test_a_send_caught_in_flight_by_a_baja_is_never_sent_after_reconciliation(
    services: Services, flow_engine: FlowEngine, clock: FakeClock
) -> None:
    _chat, api, gateway = await _sends_dropped_for(services, flow_engine, clock)

    async with services.session_factory() as session, session.begin():
        reply = await keyword_reply(session, services.settings, PHONE, "BAJA", clock())
    assert reply is not None and reply.text
    await _reconcile_and_dispatch(services, clock, gateway)

    assert api.sent_to(PHONE) == []
    rows = await _rows_to(services, PHONE)
    assert {(r.status, r.last_error) for r in rows} == {(outbox_states.OPTED_OUT, "opt-out")}
    assert len(api.sent_to(OTHER_PHONE)) == 3


async def test_stopping_commitment_notices_withdraws_the_reminder_already_queued(
    services: Services, flow_engine: FlowEngine, clock: FakeClock
) -> None:
    today = clock().date()
    await _dialogue_with_commitment(services, today + timedelta(days=3))
    chat = Chat(flow_engine, channel="telegram", address="9001")
    await chat.say("/acuerdos")
    await chat.say("Tacamoros")
    await chat.choose("Recibir avisos")
    async with services.session_factory() as session, session.begin():
        assert await materialise_commitment_reminders(session, services.settings, clock()) == 1

    await chat.say("/acuerdos")
    await chat.choose("Tacamoros")
    await chat.choose("Dejar de recibir")
    _sms, telegram = await deliver_everything(services, clock)

    assert [text for address, text in telegram.sent if address == "9001"] == []
    [reminder] = await _rows_to(services, "9001")
    assert (reminder.kind, reminder.status, reminder.last_error) == (
        "commitment_reminder",
        outbox_states.CANCELLED,
        "unsubscribed",
    )
