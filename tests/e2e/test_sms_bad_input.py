"""Bad and abusive input by SMS: each message answered or refused clearly, none lost.

Through the real webhook app with signed requests; answers read from the faked Twilio API.
Every inbound message leaves a row in `inbound_sms` saying what was done with it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.domain.sms_text import segment_info
from bot.services.container import Services
from bot.storage.models import InboundSms, OutboxMessage
from tests.support.clock import FakeClock
from tests.support.phone_line import PUBLIC, PhoneLine, configure_twilio

PHONE = "+593991234567"


@pytest.fixture
def line(services: Services) -> PhoneLine:
    configure_twilio(services)
    return PhoneLine(services)


async def outcomes(services: Services) -> list[str | None]:
    async with services.session_factory() as session:
        return list(
            await session.scalars(select(InboundSms.outcome).order_by(InboundSms.received_at))
        )


async def test_an_empty_sms_is_asked_to_write_something(line: PhoneLine) -> None:
    answer = await line.send("", PHONE)

    assert answer.status_code == 200
    assert "No recibi ningun texto" in answer.text


async def test_a_1600_character_sms_is_answered_in_at_most_three_segments(
    line: PhoneLine, services: Services
) -> None:
    long_text = ("Quisiera saber por que mi bono no llega desde hace meses " * 30)[:1600]

    answer = await line.send(long_text, PHONE)

    assert len(answer.sent) == 1
    assert segment_info(answer.sent[0].body).segments <= 3
    assert await outcomes(services) == ["turn"]


async def test_an_mms_with_only_a_photo_is_told_to_write_instead(
    line: PhoneLine, services: Services
) -> None:
    media = {
        "NumMedia": "1",
        "MediaContentType0": "image/jpeg",
        "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM1/Media/ME1",
    }
    answer = await line.send("", PHONE, extra=media)

    assert len(answer.sent) == 1 and "foto" in answer.text.lower()
    assert await outcomes(services) == ["turn"]


async def test_an_unknown_number_gets_the_welcome_and_the_menu(line: PhoneLine) -> None:
    answer = await line.send("Buenas", "+593987000111")

    assert "Hola, soy el asistente de MIES" in answer.text and "1 Mi pago" in answer.text


@pytest.mark.parametrize(
    ("sender", "outcome"),
    [
        ("+14155550100", "refused_foreign"),  # a valid number outside Ecuador
        ("+5491122334455", "refused_foreign"),
        ("MOVISTAR", "refused_sender"),  # an alphanumeric sender, not a phone
        ("whatsapp:+593991234567", "refused_whatsapp_off"),  # WhatsApp is not configured
    ],
)
async def test_senders_we_do_not_serve_are_refused_and_recorded_without_an_answer(
    line: PhoneLine, services: Services, sender: str, outcome: str
) -> None:
    form = {"MessageSid": "SM" + "f" * 32, "From": sender, "To": "+15005550006", "Body": "hola"}

    response = await line.post("/twilio/inbound", form)

    assert response.status_code == 200
    assert "<Message>" not in response.text and line.api.messages == []
    assert await outcomes(services) == [outcome]


async def test_a_forged_signature_is_refused_and_acts_on_nothing(
    line: PhoneLine, services: Services
) -> None:
    form = {"MessageSid": "SM" + "e" * 32, "From": PHONE, "Body": "BAJA"}

    forged = await line.post("/twilio/inbound", form, sign_url=PUBLIC + "/otra/ruta")
    unsigned = await line.post("/twilio/inbound", form, signed=False)

    assert (forged.status_code, unsigned.status_code) == (403, 403)
    assert await outcomes(services) == [] and line.api.messages == []


async def test_a_replayed_message_is_answered_once(line: PhoneLine, services: Services) -> None:
    first = await line.send("hola", PHONE, sid="SM" + "9" * 32)
    again = await line.send("hola", PHONE, sid="SM" + "9" * 32)

    assert len(first.sent) == 1 and again.sent == []
    async with services.session_factory() as session:
        replies = list(await session.scalars(select(OutboxMessage.id)))
    assert len(replies) == 1


async def test_a_phone_writing_too_fast_is_told_once_and_then_slowed(
    line: PhoneLine, services: Services, clock: FakeClock
) -> None:
    limit = services.settings.replies_per_phone_per_minute
    answers = [await line.send(f"hola {n}", PHONE) for n in range(limit + 3)]

    notices = [a for a in answers[limit:] if a.sent]
    assert all(len(a.sent) == 1 for a in answers[:limit])
    assert len(notices) == 1 and "Espere unos minutos" in notices[0].text  # once, not per message
    clock.advance(minutes=11)
    assert len((await line.send("hola otra vez", PHONE)).sent) == 1
    assert (await outcomes(services)).count("limited") == 3


async def test_the_daily_cap_per_phone_and_the_global_spend_cap(
    services: Services, clock: FakeClock
) -> None:
    configure_twilio(services, replies_per_phone_per_day=2, replies_daily_spend_usd=0.5)
    line = PhoneLine(services)
    per_phone = [await line.send(f"hola {n}", PHONE) for n in range(4)]
    clock.advance(minutes=2)
    other = [await line.send(f"hola {n}", "+593987000222") for n in range(3)]

    assert [len(a.sent) for a in per_phone] == [1, 1, 1, 0]
    assert "limite de mensajes de hoy" in per_phone[2].text
    assert [len(a.sent) for a in other] == [1, 1, 0]  # an answer, then the spend notice, once
    assert "hoy no podemos responder" in other[1].text
    spent = sum((r.cost_usd or Decimal(0)) for r in await _replies(services))
    assert spent >= Decimal("0.5")


async def _replies(services: Services) -> list[OutboxMessage]:
    async with services.session_factory() as session:
        return list(await session.scalars(select(OutboxMessage)))
