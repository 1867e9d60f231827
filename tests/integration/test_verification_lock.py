"""A locked cédula stops guessing everywhere, yet its owner keeps a way in (issue 18, items 3, 10).

Guessing a birth date must stay impossible across chats, restarts and spellings of the cédula,
with locks that grow; the real person is warned before the last try, told until when (local
time) and can get in with a one-time code sent by SMS to the registry's phone.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.domain.identity import complete_cedula, parse_cedula
from bot.flows.engine import FlowEngine
from bot.flows.registry import build_flows
from bot.services.container import Services
from bot.services.verification import cedula_key
from bot.storage.demo_data import DEMO_PEOPLE, load_demo_data
from bot.storage.models import Beneficiary, OutboxMessage, VerificationLock
from tests.support.chat import Chat
from tests.support.clock import FakeClock

OWNER = DEMO_PEOPLE[0]
OWNER_BIRTH = OWNER.birth_date.strftime("%d/%m/%Y")
REGISTRY_PHONE = "+593991234567"
WRONG = "02/02/1970"


@pytest.fixture(autouse=True)
async def demo(services: Services) -> None:
    async with services.session_factory() as session, session.begin():
        await load_demo_data(session, services.clock())
        await session.execute(
            update(Beneficiary)
            .where(Beneficiary.cedula == OWNER.cedula)
            .values(mobile=REGISTRY_PHONE)
        )


def _chat(engine: FlowEngine, name: str) -> Chat:
    return Chat(engine, channel="telegram", address=name)


async def _try(chat: Chat, cedula: str, second: str) -> str:
    await chat.say("/pago")
    await chat.say(cedula)
    await chat.say(second)
    return chat.text


async def _lock_by_stranger(engine: FlowEngine, cedula: str = OWNER.cedula) -> None:
    stranger = _chat(engine, f"stranger-of-{cedula}")
    for _ in range(3):
        await _try(stranger, cedula, WRONG)


async def _codes(services: Services) -> list[OutboxMessage]:
    async with services.session_factory() as session:
        return list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == "verification_code")
                .order_by(OutboxMessage.id)
            )
        )


async def _lock_row(services: Services, cedula: str) -> VerificationLock:
    async with services.session_factory() as session:
        row = await session.get(VerificationLock, cedula_key(session, parse_cedula(cedula)))
    assert row is not None
    return row


def _code_in(body: str) -> str:
    found = re.search(r"\b(\d{6})\b", body)
    assert found is not None, body
    return found.group(1)


async def test_the_owner_locked_out_by_a_stranger_gets_in_with_the_code_sent_to_the_registry_phone(
    flow_engine: FlowEngine, services: Services
) -> None:
    await _lock_by_stranger(flow_engine)
    owner = _chat(flow_engine, "owner")
    await owner.say("/pago")
    locked = "\n".join(r.text for r in await owner.say(OWNER.cedula))
    assert "bloqueada hasta el viernes 20 de noviembre, 10:30" in locked  # 15:00 UTC + 30 min
    assert "código por SMS" in locked and "1800-002-002" in locked
    await owner.choose("código por SMS")
    assert "le enviamos un SMS con un código de 6 dígitos" in owner.text
    assert "vale hasta el viernes 20 de noviembre, 10:30" in owner.text
    [sms] = await _codes(services)
    assert sms.channel == "sms" and sms.address == REGISTRY_PHONE and sms.status == "pending"
    assert "Escribalo solo en el chat del MIES" in sms.body  # transliterated for GSM-7
    replies = await owner.say(_code_in(sms.body))
    text = "\n".join(r.text for r in replies)
    assert "María, su Bono de Desarrollo Humano" in text and "Su pago está activo." in text
    assert all(REGISTRY_PHONE[-7:] not in r.text for r in owner.history), "the phone never shows"
    row = await _lock_row(services, OWNER.cedula)
    assert row.locked_until is None and row.lock_count == 0 and row.code_hash is None


async def test_a_code_asked_for_an_unknown_or_phoneless_cedula_gets_the_same_answer(
    flow_engine: FlowEngine, services: Services
) -> None:
    phoneless, unknown = DEMO_PEOPLE[1].cedula, complete_cedula("110999999")
    answers = []
    for n, cedula in enumerate((OWNER.cedula, phoneless, unknown)):
        await _lock_by_stranger(flow_engine, cedula)
        chat = _chat(flow_engine, f"asker-{n}")
        await chat.say("/pago")
        await chat.say(cedula)
        await chat.choose("código por SMS")
        answers.append(chat.text)
        replies = await chat.say("000000")
        answers.append("\n".join(r.text for r in replies))
    assert answers[0] == answers[2] == answers[4]
    assert answers[1] == answers[3] == answers[5]
    assert "Le quedan 2 intentos con este código" in answers[1]
    assert [m.address for m in await _codes(services)] == [REGISTRY_PHONE]


async def test_the_lock_holds_for_the_cedula_typed_with_dots_dash_or_full_width_digits(
    flow_engine: FlowEngine, services: Services
) -> None:
    full_width = "".join(chr(0xFF10 + int(d)) for d in OWNER.cedula)  # «１１０…»
    spellings = ["110000001-5", "1.100.000.015", full_width]
    assert OWNER.cedula == "1100000015"
    for n, spelling in enumerate(spellings):  # three chats, one guess each
        await _try(_chat(flow_engine, f"guesser-{n}"), spelling, WRONG)
    restarted = FlowEngine(services, build_flows())  # a restart keeps the lock too
    for n, spelling in enumerate([OWNER.cedula, *spellings]):
        text = await _try(_chat(restarted, f"late-{n}"), spelling, OWNER_BIRTH)
        assert "bloqueada hasta" in text, spelling
        assert "Su pago está activo" not in text


async def test_the_last_try_warns_le_queda_1_intento(flow_engine: FlowEngine) -> None:
    chat = _chat(flow_engine, "forgetful")
    first = await _try(chat, OWNER.cedula, WRONG)
    assert "Le quedan 2 intentos antes de un bloqueo temporal." in first
    second = await _try(chat, OWNER.cedula, WRONG)
    assert "Le queda 1 intento antes de un bloqueo temporal." in second
    assert "se bloqueará en todos los chats" in second
    third = await _try(chat, OWNER.cedula, WRONG)
    assert "quedó bloqueada hasta el viernes 20 de noviembre, 10:30" in third
    assert "Le queda" not in third
    assert [o.key for o in chat.last.replies[-1].options] == ["codigo", "caso", "no"]  # type: ignore[union-attr]


async def test_a_locked_citizen_who_writes_again_is_shown_the_lock_not_no_entendi(
    flow_engine: FlowEngine,
) -> None:
    await _lock_by_stranger(flow_engine)
    owner = _chat(flow_engine, "owner")
    text = await _try(owner, OWNER.cedula, OWNER_BIRTH)
    assert "No entendí" not in text
    assert "Elija una de las opciones" in text and "bloqueada hasta" in text
    assert [o.key for o in owner.last.replies[-1].options] == ["codigo", "no"]  # type: ignore[union-attr]


async def test_a_second_lock_lasts_twice_as_long_up_to_a_day(
    flow_engine: FlowEngine, services: Services, clock: FakeClock
) -> None:
    minutes = []
    for n in range(8):
        for _ in range(3):
            await _try(_chat(flow_engine, f"guesser-{n}"), OWNER.cedula, WRONG)
        row = await _lock_row(services, OWNER.cedula)
        assert row.locked_until is not None
        minutes.append(int((row.locked_until - clock()).total_seconds() // 60))
        clock.current = row.locked_until + timedelta(seconds=1)
    assert minutes == [30, 60, 120, 240, 480, 960, 1440, 1440]


async def test_a_successful_check_makes_the_next_lock_short_again(
    flow_engine: FlowEngine, services: Services, clock: FakeClock
) -> None:
    for n in range(2):
        for _ in range(3):
            await _try(_chat(flow_engine, f"guesser-{n}"), OWNER.cedula, WRONG)
        row = await _lock_row(services, OWNER.cedula)
        assert row.locked_until is not None
        clock.current = row.locked_until + timedelta(seconds=1)
    text = await _try(_chat(flow_engine, "owner"), OWNER.cedula, OWNER_BIRTH)
    assert "Su pago está activo." in text
    for _ in range(3):
        await _try(_chat(flow_engine, "guesser-again"), OWNER.cedula, WRONG)
    row = await _lock_row(services, OWNER.cedula)
    assert row.locked_until == clock() + timedelta(minutes=30)


async def test_guesses_spaced_past_the_first_lock_period_still_lock(
    flow_engine: FlowEngine, clock: FakeClock
) -> None:
    for n in range(3):
        clock.advance(minutes=45)  # each guess after a first lock would have ended
        text = await _try(_chat(flow_engine, f"patient-{n}"), OWNER.cedula, WRONG)
    assert "quedó bloqueada hasta" in text
    later = await _try(_chat(flow_engine, "patient-late"), OWNER.cedula, OWNER_BIRTH)
    assert "Su pago está activo" not in later


async def test_a_code_stops_working_after_three_wrong_tries(
    flow_engine: FlowEngine, services: Services
) -> None:
    await _lock_by_stranger(flow_engine)
    chat = _chat(flow_engine, "stranger-2")
    await chat.say("/pago")
    await chat.say(OWNER.cedula)
    await chat.choose("código por SMS")
    [sms] = await _codes(services)
    right = _code_in(sms.body)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    assert "Le quedan 2 intentos" in "\n".join(r.text for r in await chat.say(wrong))
    assert "Le queda 1 intento" in "\n".join(r.text for r in await chat.say(wrong))
    assert "ya no sirve" in "\n".join(r.text for r in await chat.say(wrong))
    await chat.say("/pago")
    await chat.say(OWNER.cedula)
    await chat.choose("código por SMS")
    assert "ya no sirve" not in chat.text
    replies = await chat.say(right)  # the old code was replaced by a new one
    assert "Su pago está activo" not in "\n".join(r.text for r in replies)


async def test_codes_are_limited_to_three_a_day_per_cedula(
    flow_engine: FlowEngine, services: Services, clock: FakeClock
) -> None:
    await _lock_by_stranger(flow_engine)
    for n in range(4):
        chat = _chat(flow_engine, f"asker-{n}")
        await chat.say("/pago")
        await chat.say(OWNER.cedula)
        await chat.choose("código por SMS")
    assert "Ya enviamos varios códigos hoy" in chat.text
    assert "sábado 21 de noviembre, 10:00" in chat.text
    assert len(await _codes(services)) == 3


async def test_a_code_asked_at_night_is_valid_after_it_can_arrive(
    flow_engine: FlowEngine, services: Services, clock: FakeClock
) -> None:
    clock.advance(hours=11)  # 02:00 UTC: 21:00 in Guayaquil, quiet hours
    await _lock_by_stranger(flow_engine)
    owner = _chat(flow_engine, "owner")
    await owner.say("/pago")
    await owner.say(OWNER.cedula)
    await owner.choose("código por SMS")
    assert "le llegará desde el sábado 21 de noviembre, 07:00" in owner.text
    assert "vale hasta el sábado 21 de noviembre, 07:30" in owner.text
    [sms] = await _codes(services)
    assert "Vale hasta las 07:30" in sms.body
    clock.advance(hours=10, minutes=15)  # 07:15 local, the SMS has just come
    await owner.say(_code_in(sms.body))
    assert "se cerró por inactividad" in owner.text  # the night was longer than the timeout
    await owner.say("/pago")
    await owner.say(OWNER.cedula)  # the lock ended at 21:30; the code still works
    text = "\n".join(r.text for r in await owner.say(_code_in(sms.body)))
    assert "Su pago está activo." in text


async def test_the_last_try_warns_in_english_too(flow_engine: FlowEngine) -> None:
    chat = Chat(flow_engine, channel="telegram", address="english", locale="en")
    first = await _try(chat, OWNER.cedula, WRONG)
    assert "You have 2 attempts left before a temporary lock." in first
    second = await _try(chat, OWNER.cedula, WRONG)
    assert "You have 1 attempt left before a temporary lock." in second
    third = await _try(chat, OWNER.cedula, WRONG)
    assert "locked until Friday, November 20, 10:30 AM" in third
