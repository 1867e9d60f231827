"""The webhook app: Twilio signatures, inbound keywords and delivery-status callbacks."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from bot.handlers.sms.inbound import keyword_of
from bot.handlers.web import build_app
from bot.services.container import Services
from bot.storage.models import Beneficiary, Contact, Event, InboundSms, OptOut, OutboxMessage
from notificaciones import outbox, outbox_states
from tests.support.clock import FakeClock
from tests.support.phone_line import PUBLIC, Answer, PhoneLine, configure_twilio

PHONE = "+593991234567"


@pytest.fixture
def web_services(services: Services) -> Services:
    configure_twilio(services)
    return services


async def _post(
    services: Services, path: str, form: dict[str, str], *, sign_url: str | None = None
) -> httpx.Response:
    return await PhoneLine(services).post(path, form, sign_url=sign_url)


async def _sms(
    services: Services, body: str, phone: str = PHONE, *, sid: str | None = None
) -> Answer:
    """One signed inbound SMS; the answer holds what Twilio was asked to send back."""
    return await PhoneLine(services).send(body, phone, sid=sid)


async def _status(services: Services, row_id: int, sid: str, status: str) -> httpx.Response:
    path = f"/twilio/status?ref={row_id}"
    form = {"MessageSid": sid, "MessageStatus": status}
    return await _post(services, path, form, sign_url=PUBLIC + path)


async def _sent_row(services: Services, clock: FakeClock, sid: str) -> int:
    async with services.session_factory() as session, session.begin():
        row = await outbox.enqueue(
            session,
            channel="sms",
            address=PHONE,
            body="Aviso",
            kind="test",
            dedupe_key=f"sent:{sid}",
            due_at=clock(),
            now=clock(),
        )
        assert row is not None
        row.status, row.provider_sid, row.provider_status = outbox_states.SENT, sid, "queued"
    return row.id


async def _stored(services: Services, row_id: int) -> OutboxMessage:
    async with services.session_factory() as session:
        row = await session.get(OutboxMessage, row_id)
    assert row is not None
    return row


async def test_unsigned_or_wrongly_signed_requests_are_forbidden(web_services: Services) -> None:
    transport = httpx.ASGITransport(app=build_app(web_services))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        unsigned = await client.post("/twilio/inbound", data={"From": PHONE, "Body": "BAJA"})
    wrong_url = await _post(
        web_services,
        "/twilio/inbound",
        {"From": PHONE, "Body": "BAJA"},
        sign_url="http://10.0.0.5:8080/twilio/inbound",
    )
    status = await _post(web_services, "/twilio/status", {"MessageSid": "SM1"}, sign_url="x")

    assert (unsigned.status_code, wrong_url.status_code, status.status_code) == (403, 403, 403)
    async with web_services.session_factory() as session:
        assert await session.get(OptOut, PHONE) is None


async def test_baja_opts_out_confirms_once_and_stops_queued_sms(
    web_services: Services, clock: FakeClock
) -> None:
    async with web_services.session_factory() as session, session.begin():
        await outbox.enqueue(
            session,
            channel="sms",
            address=PHONE,
            body="Aviso",
            kind="test",
            dedupe_key="k1",
            due_at=clock(),
            now=clock(),
        )

    response = await _sms(web_services, "  Bája.")
    after = await _sms(web_services, "ayuda")

    assert response.status_code == 200
    assert "ALTA" in response.text and len(response.sent) == 1
    assert after.text == ""  # no more SMS after the confirmation
    async with web_services.session_factory() as session:
        opt_out = await session.get(OptOut, PHONE)
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert opt_out is not None and opt_out.source == "sms_keyword"
    assert [(r.kind, r.status) for r in rows] == [
        ("test", outbox_states.OPTED_OUT),
        ("opt_out_confirmation", outbox_states.SENT),  # the one last SMS, a row with its cost
    ]
    assert rows[1].cost_usd is not None and rows[1].cost_usd > 0


async def test_stop_and_parar_also_opt_out_and_alta_opts_back_in(web_services: Services) -> None:
    await _sms(web_services, "STOP")
    await _sms(web_services, "parar", phone="+593991234568")
    reply = await _sms(web_services, "START")

    async with web_services.session_factory() as session:
        remaining = list(await session.scalars(select(OptOut.phone)))
    assert remaining == ["+593991234568"]
    assert "BAJA" in reply.text


async def test_eventos_lists_the_next_events_in_the_senders_parish(
    web_services: Services, clock: FakeClock
) -> None:
    async with web_services.session_factory() as session, session.begin():
        session.add(
            Beneficiary(
                cedula="1100000019",
                names="Persona",
                mobile=PHONE,
                parish_code="111252",
                programme="BDH",
                status="activo",
                row_hash="x",
                updated_at=clock(),
            )
        )
        session.add(
            Event(
                kind="feria",
                title="Feria de servicios",
                parish_code="111252",
                starts_at=datetime(2026, 11, 25, 15, 0, tzinfo=UTC),
                place="Parque central",
                created_at=clock(),
            )
        )

    reply = await _sms(web_services, "EVENTOS")
    stranger = await _sms(web_services, "eventos", phone="+593991234500")

    assert "Feria de servicios" in reply.text and "25/11 10:00" in reply.text
    assert "parroquia" in stranger.text


async def test_a_known_english_contact_is_answered_in_english(
    web_services: Services, clock: FakeClock
) -> None:
    async with web_services.session_factory() as session, session.begin():
        session.add(
            Contact(
                channel="telegram",
                address="9300",
                locale="en",
                phone=PHONE,
                parish_code="111252",
                created_at=clock(),
                last_seen_at=clock(),
            )
        )
        session.add(
            Event(
                kind="feria",
                title="Feria de servicios",
                parish_code="111252",
                starts_at=datetime(2026, 11, 25, 15, 0, tzinfo=UTC),
                place="Parque central",
                created_at=clock(),
            )
        )

    events = await _sms(web_services, "EVENTOS")
    english_word = await _sms(web_services, "Events?")
    unknown = await _sms(web_services, "hello")
    stranger = await _sms(web_services, "hello", phone="+593991234500")
    stop = await _sms(web_services, "BAJA")

    assert "MIES events: Nov 25, 10:00 AM: Feria de servicios, Parque central" in events.text
    assert english_word.text == events.text
    # Not a keyword: a conversation, in the language the phone is known by.
    assert "Hello, I am the MIES assistant" in unknown.text and "1 My payment" in unknown.text
    assert "Hola, soy el asistente de MIES" in stranger.text  # unknown sender: the default
    assert "MIES: done, you will not receive any more SMS." in stop.text


async def test_anything_else_is_a_conversation_turn_answered_with_options(
    web_services: Services,
) -> None:
    reply = await _sms(web_services, "hola buenas tardes")
    assert len(reply.sent) == 1 and "1 Mi pago 2 Califico" in reply.text


async def test_status_callback_settles_a_crashed_send_and_records_the_status(
    web_services: Services, clock: FakeClock
) -> None:
    async with web_services.session_factory() as session, session.begin():
        row = await outbox.enqueue(
            session,
            channel="sms",
            address=PHONE,
            body="Aviso",
            kind="test",
            dedupe_key="k1",
            due_at=clock(),
            now=clock(),
        )
        assert row is not None
        row.status = outbox_states.SENDING  # the dispatcher died before storing Twilio's answer
        row_id = row.id

    response = await _post(
        web_services,
        f"/twilio/status?ref={row_id}",
        {"MessageSid": "SM123", "MessageStatus": "delivered"},
        sign_url=f"{PUBLIC}/twilio/status?ref={row_id}",
    )

    assert response.status_code == 204
    async with web_services.session_factory() as session:
        stored = await session.get(OutboxMessage, row_id)
    assert stored is not None
    assert (stored.status, stored.provider_sid, stored.provider_status) == (
        outbox_states.SENT,
        "SM123",
        "delivered",
    )


@pytest.mark.parametrize(
    ("body", "word"),
    [("¡BAJA!", "baja"), ("Bája.", "baja"), ("¿Eventos?", "eventos"), ("events 🙂 pls", "events"),
     ("  ", ""), ("🙂", "")],
)  # fmt: skip
def test_the_keyword_is_the_first_word_without_accents_punctuation_or_emojis(
    body: str, word: str
) -> None:
    assert keyword_of(body) == word


async def test_a_replayed_alta_after_baja_leaves_the_phone_opted_out(
    web_services: Services,
) -> None:
    alta = "SM" + "a" * 32
    await _sms(web_services, "BAJA")
    await _sms(web_services, "ALTA", sid=alta)
    await _sms(web_services, "BAJA")

    replay = await _sms(web_services, "ALTA", sid=alta)  # the same signed request, again

    assert replay.status_code == 200
    assert replay.text == ""  # no second action, no second answer
    async with web_services.session_factory() as session:
        opt_out = await session.get(OptOut, PHONE)
        seen = list(await session.scalars(select(InboundSms.message_sid)))
    assert opt_out is not None
    assert len(seen) == 3 and alta in seen  # three distinct messages acted on, once each


async def test_a_replayed_delivered_callback_after_undelivered_keeps_undelivered(
    web_services: Services, clock: FakeClock
) -> None:
    sid = "SM" + "b" * 32
    row_id = await _sent_row(web_services, clock, sid)
    await _status(web_services, row_id, sid, "sent")
    await _status(web_services, row_id, sid, "delivered")
    await _status(web_services, row_id, sid, "undelivered")  # a replay of a different order

    row = await _stored(web_services, row_id)
    assert row.provider_status == "delivered"  # the first final status wins

    other = "SM" + "c" * 32
    other_id = await _sent_row(web_services, clock, other)
    await _status(web_services, other_id, other, "undelivered")
    replay = await _status(web_services, other_id, other, "delivered")

    assert replay.status_code == 204
    assert (await _stored(web_services, other_id)).provider_status == "undelivered"


async def test_a_late_sent_callback_after_delivered_is_ignored(
    web_services: Services, clock: FakeClock
) -> None:
    sid = "SM" + "d" * 32
    row_id = await _sent_row(web_services, clock, sid)
    await _status(web_services, row_id, sid, "delivered")
    await _status(web_services, row_id, sid, "sent")
    await _status(web_services, row_id, sid, "queued")
    await _status(web_services, row_id, sid, "not-a-status")

    row = await _stored(web_services, row_id)
    assert (row.status, row.provider_status) == (outbox_states.SENT, "delivered")
