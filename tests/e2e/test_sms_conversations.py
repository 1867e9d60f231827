"""Whole conversations by SMS: signed Twilio webhooks in, the real dispatcher and twilio client out.

Each message is a signed POST to the real Starlette app; each answer is what the real
`TwilioSmsGateway` asked the (faked) Twilio API to deliver. The citizen's clock moves half a
minute per message, as a person typing on a basic phone.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from bot.domain.sms_text import segment_info
from bot.services.container import Services
from bot.storage.demo_data import load_demo_data
from bot.storage.models import Beneficiary, Conversation, InboundSms, OptOut, OutboxMessage
from notificaciones import outbox_states
from tests.support.clock import FakeClock
from tests.support.phone_line import Answer, PhoneLine, configure_twilio

LUZ = "1100000023"  # demo: BDH suspended, school enrolment missing
LUZ_BIRTH = "02/07/1990"
LUZ_PHONE = "+593987650023"  # the registry's mobile for Luz
OTHER_PHONE = "+593991112233"


@pytest.fixture
async def line(services: Services) -> PhoneLine:
    configure_twilio(services)
    async with services.session_factory() as session, session.begin():
        await load_demo_data(session, services.clock())
        await session.execute(
            update(Beneficiary).where(Beneficiary.cedula == LUZ).values(mobile=LUZ_PHONE)
        )
    return PhoneLine(services)


async def say(line: PhoneLine, clock: FakeClock, text: str, phone: str = LUZ_PHONE) -> Answer:
    clock.advance(seconds=30)
    return await line.send(text, phone)


def assert_one_cheap_sms(answer: Answer) -> str:
    """Exactly one SMS came back, GSM-7 (no emoji, no accent outside it), at most 3 segments."""
    assert answer.status_code == 200
    assert len(answer.sent) == 1, answer.sent
    body = answer.sent[0].body
    info = segment_info(body)
    assert info.encoding == "GSM-7" and info.segments <= 3, (info, body)
    return body


async def rows(services: Services) -> list[OutboxMessage]:
    async with services.session_factory() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_a_citizen_asks_by_sms_why_the_bono_did_not_arrive(
    line: PhoneLine, services: Services, clock: FakeClock
) -> None:
    first = assert_one_cheap_sms(await say(line, clock, "porq no me llego el bono"))
    second = assert_one_cheap_sms(await say(line, clock, LUZ))
    status = assert_one_cheap_sms(await say(line, clock, LUZ_BIRTH))

    assert "cédula" in first and "fecha de nacimiento" in second
    assert "suspendido" in status
    assert "Motivo: Falta registrar la matricula escolar" in status
    assert "Qué hacer:\n1. " in status
    assert "1 Mi pago 2 Califico" in status  # the menu again, as numbers
    replies = [r for r in await rows(services) if r.kind == "reply"]
    assert len(replies) == 3 and all(r.status == outbox_states.SENT for r in replies)
    assert all(r.cost_usd is not None and r.cost_usd > 0 for r in replies)
    assert [r.segments for r in replies] == [
        segment_info(b).segments for b in (first, second, status)
    ]


async def test_from_a_phone_that_is_not_the_registrys_a_code_goes_to_the_registry_phone(
    line: PhoneLine, services: Services, clock: FakeClock
) -> None:
    await say(line, clock, "/pago", OTHER_PHONE)
    await say(line, clock, LUZ, OTHER_PHONE)
    asked = assert_one_cheap_sms(await say(line, clock, LUZ_BIRTH, OTHER_PHONE))
    await line.dispatcher.run_until_idle()  # the code leaves with the next dispatcher pass
    code_sms = line.api.sent_to(LUZ_PHONE)
    code = "".join(ch for ch in code_sms[0].body.split("es ")[1][:6])
    wrong = assert_one_cheap_sms(
        await say(line, clock, "000000" if code != "000000" else "111111", OTHER_PHONE)
    )
    shown = assert_one_cheap_sms(await say(line, clock, code, OTHER_PHONE))

    assert "codigo" in asked and "suspendido" not in asked
    assert len(code_sms) == 1 and code.isdigit()
    assert "no es correcto" in wrong
    assert "suspendido" in shown and "Motivo:" in shown
    # Before the code, nothing of the payment reached the other phone.
    before = [m.body for m in line.api.sent_to(OTHER_PHONE)][:-1]
    assert not any("suspendido" in body or "Motivo" in body for body in before)


async def test_eligibility_by_sms_ends_with_an_orientation_in_three_segments(
    line: PhoneLine, clock: FakeClock
) -> None:
    await say(line, clock, "hola")
    opening = assert_one_cheap_sms(await say(line, clock, "2"))  # «2 Califico» from the menu
    answers = [
        assert_one_cheap_sms(await say(line, clock, text)) for text in ("70", "1", "1", "2", "1")
    ]

    assert "preguntas cortas" in opening
    assert "Pension Mis Mejores Años" in answers[-1]
    assert "1 Mi pago" in answers[-1]


async def test_the_office_by_sms(line: PhoneLine, clock: FakeClock) -> None:
    asked = assert_one_cheap_sms(await say(line, clock, "donde queda mi oficina"))
    office = assert_one_cheap_sms(await say(line, clock, "Tacamoros"))

    assert "parroquia" in asked
    assert "11D06" in office


async def test_baja_in_the_middle_of_a_conversation_opts_out_and_ends_it(
    line: PhoneLine, services: Services, clock: FakeClock
) -> None:
    await say(line, clock, "/pago")
    await say(line, clock, LUZ)  # the flow now waits for the birth date
    stop = assert_one_cheap_sms(await say(line, clock, "BAJA"))
    silent = await say(line, clock, LUZ_BIRTH)
    back = assert_one_cheap_sms(await say(line, clock, "ALTA"))
    after = assert_one_cheap_sms(await say(line, clock, LUZ_BIRTH))

    assert "no recibira mas SMS" in stop and "ALTA" in stop
    assert silent.sent == []  # opted out: nothing at all, the birth date is not acted on
    assert "BAJA" in back
    assert "suspendido" not in after  # the payment flow ended with the BAJA
    async with services.session_factory() as session:
        conversation = await session.scalar(
            select(Conversation).where(Conversation.address == LUZ_PHONE)
        )
        outcomes = list(await session.scalars(select(InboundSms.outcome)))
    assert conversation is not None and "cedula" not in conversation.data
    assert "ignored_opted_out" in outcomes


async def test_cancelar_cancels_the_step_and_never_opts_out(
    line: PhoneLine, services: Services, clock: FakeClock
) -> None:
    await say(line, clock, "/pago")
    cancelled = assert_one_cheap_sms(await say(line, clock, "cancelar"))

    assert "dejamos eso" in cancelled and "1 Mi pago" in cancelled
    async with services.session_factory() as session:
        assert await session.get(OptOut, LUZ_PHONE) is None


async def test_ayuda_names_the_words_that_work_by_sms(line: PhoneLine, clock: FakeClock) -> None:
    help_text = assert_one_cheap_sms(await say(line, clock, "AYUDA"))

    assert "MENU" in help_text and "CANCELAR" in help_text and "BAJA" in help_text
