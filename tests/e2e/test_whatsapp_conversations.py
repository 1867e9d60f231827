"""WhatsApp through Twilio: the same flows, free-form inside 24 hours, templates outside.

Inbound messages come to the same signed webhook as SMS, from `whatsapp:+593…`; answers and
notices go through the real dispatcher and `TwilioWhatsAppGateway` into the faked Twilio API.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.services.container import Services
from bot.storage.models import Contact, Event, OptOut, OutboxMessage, Subscription
from notificaciones import outbox, outbox_states
from notificaciones.jobs import run_jobs
from tests.support.clock import FakeClock
from tests.support.phone_line import WHATSAPP_FROM, PhoneLine, configure_twilio

PHONE = "+593991234567"
TEMPLATE = "HX" + "a" * 32


@pytest.fixture
def line(services: Services) -> PhoneLine:
    configure_twilio(
        services,
        twilio_whatsapp_from=WHATSAPP_FROM,
        whatsapp_templates={"event_announcement": TEMPLATE},
    )
    return PhoneLine(services)


async def _notice(services: Services, clock: FakeClock, kind: str, key: str) -> int:
    async with services.session_factory() as session, session.begin():
        row = await outbox.enqueue(
            session,
            channel="whatsapp",
            address=PHONE,
            body="Feria de servicios en Tacamoros el jueves 10:00",
            kind=kind,
            dedupe_key=key,
            due_at=clock(),
            now=clock(),
        )
    assert row is not None
    return row.id


async def _row(services: Services, row_id: int) -> OutboxMessage:
    async with services.session_factory() as session:
        row = await session.get(OutboxMessage, row_id)
    assert row is not None
    return row


async def test_a_whatsapp_conversation_uses_the_same_flows_and_keeps_accents(
    line: PhoneLine, clock: FakeClock
) -> None:
    hello = await line.send("hola", PHONE, whatsapp=True)
    clock.advance(seconds=30)
    asked = await line.send("/oficina", PHONE, whatsapp=True)
    clock.advance(seconds=30)
    office = await line.send("Tacamoros", PHONE, whatsapp=True)

    sent = hello.sent[0]
    assert (sent.to, sent.fields["From"]) == (f"whatsapp:{PHONE}", f"whatsapp:{WHATSAPP_FROM}")
    assert "¿Por qué no me llegó el pago?" in hello.text  # full labels, accents kept
    assert "parroquia o cantón" in asked.text
    assert "11D06" in office.text
    assert all(len(a.sent) == 1 for a in (hello, asked, office))


async def test_a_notice_outside_the_24_hour_window_goes_as_the_approved_template(
    line: PhoneLine, services: Services, clock: FakeClock
) -> None:
    await line.send("hola", PHONE, whatsapp=True)  # opens the window
    inside = await _notice(services, clock, "event_announcement", "event:1:inside")
    await line.dispatcher.run_until_idle()
    clock.advance(hours=25)
    outside = await _notice(services, clock, "event_announcement", "event:1:outside")
    untemplated = await _notice(services, clock, "commitment_reminder", "commitment:1")
    await line.dispatcher.run_until_idle()

    free, templated = line.api.messages[1], line.api.messages[2]
    assert free.body.startswith("Feria de servicios") and "ContentSid" not in free.fields
    assert templated.fields["ContentSid"] == TEMPLATE and "Body" not in templated.fields
    variables = json.loads(str(templated.fields["ContentVariables"]))
    assert variables == {"1": "Feria de servicios en Tacamoros el jueves 10:00"}
    assert len(line.api.messages) == 3  # the reminder with no template was not sent free-form
    assert (await _row(services, inside)).status == outbox_states.SENT
    assert (await _row(services, outside)).status == outbox_states.SENT
    refused = await _row(services, untemplated)
    assert refused.status == outbox_states.FAILED and "no template" in (refused.last_error or "")


async def test_baja_on_whatsapp_opts_out_like_sms(
    line: PhoneLine, services: Services, clock: FakeClock
) -> None:
    stop = await line.send("BAJA", PHONE, whatsapp=True)
    async with services.session_factory() as session, session.begin():
        later = await outbox.enqueue(
            session,
            channel="whatsapp",
            address=PHONE,
            body="Aviso",
            kind="event_announcement",
            dedupe_key="event:2",
            due_at=clock(),
            now=clock(),
        )
        opted_out = await session.get(OptOut, PHONE)

    assert "ALTA" in stop.text and stop.sent[0].to == f"whatsapp:{PHONE}"
    assert later is None and opted_out is not None


async def test_whatsapp_status_callbacks_use_the_sms_path(
    line: PhoneLine, services: Services
) -> None:
    await line.send("hola", PHONE, whatsapp=True)
    async with services.session_factory() as session:
        row = await session.scalar(select(OutboxMessage))
    assert row is not None and row.channel == "whatsapp"
    path = f"/twilio/status?ref={row.id}"

    response = await line.post(
        path, {"MessageSid": str(row.provider_sid), "MessageStatus": "delivered"}
    )

    assert response.status_code == 204
    assert (await _row(services, row.id)).provider_status == "delivered"


async def test_an_event_announcement_to_a_whatsapp_subscriber_uses_the_event_template(
    line: PhoneLine, services: Services, clock: FakeClock
) -> None:
    async with services.session_factory() as session, session.begin():
        contact = Contact(
            channel="whatsapp", address=PHONE, created_at=clock(), last_seen_at=clock()
        )
        session.add(contact)
        await session.flush()
        session.add(
            Subscription(
                contact_id=contact.id,
                parish_code="111252",
                channel="whatsapp",
                address=PHONE,
                topic="eventos",
                consent_at=clock(),
                created_at=clock(),
            )
        )
        session.add(
            Event(
                kind="brigada_social",
                title="Brigada Social",
                parish_code="111252",
                starts_at=clock() + timedelta(days=1, hours=2),
                place="Casa comunal",
                reminder_offsets_minutes=[1440],
                created_at=clock(),
            )
        )
    async with services.session_factory() as session, session.begin():
        await run_jobs(session, services.settings, clock())
    clock.advance(hours=3)  # the announcement is due; the person never wrote: no window

    await line.dispatcher.run_until_idle()

    [announcement] = line.api.messages
    assert announcement.to == f"whatsapp:{PHONE}"
    assert announcement.fields["ContentSid"] == TEMPLATE
    assert "Brigada Social" in json.loads(str(announcement.fields["ContentVariables"]))["1"]


async def test_a_whatsapp_citizen_subscribes_to_event_reminders_on_whatsapp(
    line: PhoneLine, services: Services, clock: FakeClock
) -> None:
    events = await line.send("/eventos Tacamoros", PHONE, whatsapp=True)
    number = _number_of(events.text, "Avisarme por WhatsApp")
    clock.advance(seconds=30)
    consent = await line.send(number, PHONE, whatsapp=True)
    clock.advance(seconds=30)
    done = await line.send(_number_of(consent.text, "Sí, acepto"), PHONE, whatsapp=True)

    assert "Listo: le recordaremos por este chat" in done.text
    async with services.session_factory() as session:
        subscription = await session.scalar(select(Subscription))
    assert subscription is not None
    assert (subscription.channel, subscription.address) == ("whatsapp", PHONE)


def _number_of(text: str, label: str) -> str:
    """The number written before `label` in a «1 … 2 …» options line."""
    options = text.rsplit("\n", 1)[-1]
    before = options.split(label)[0].rstrip().rsplit(" ", 1)[-1]
    assert before.isdigit(), options
    return before
