"""Payment status through the real Telegram Application: each demo person, unknown, lockout."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.domain.identity import complete_cedula
from bot.services.container import Services
from bot.storage.demo_data import DEMO_PEOPLE, load_demo_data
from bot.storage.models import AuditEntry, Case, VerificationLock
from tests.support.fake_bot_api import FakeBotApi, TelegramUser


@pytest.fixture(autouse=True)
async def demo(services: Services) -> None:
    async with services.session_factory() as session, session.begin():
        await load_demo_data(session, services.clock())


def _birth(index: int) -> str:
    return DEMO_PEOPLE[index].birth_date.strftime("%d/%m/%Y")


async def _ask(citizen: TelegramUser, cedula: str, second: str) -> str:
    await citizen.say("no me llegó el bono")
    await citizen.say(cedula)
    return "\n".join(await citizen.say(second))


async def test_active_beneficiary_sees_amount_and_collection_days(citizen: TelegramUser) -> None:
    person = DEMO_PEOPLE[0]
    text = await _ask(citizen, person.cedula, _birth(0))
    assert "María, su Bono de Desarrollo Humano con componente variable" in text
    assert "Su pago está activo." in text
    assert "104,00" in text
    digit = person.cedula[-1]
    assert f"su cédula termina en {digit}" in text
    assert "11D06" in text


async def test_suspended_bdh_names_the_missing_condition_and_the_next_session(
    citizen: TelegramUser,
) -> None:
    text = await _ask(citizen, DEMO_PEOPLE[1].cedula, _birth(1))
    assert "suspendido por corresponsabilidad" in text
    assert "Condición que falta cumplir: la matrícula escolar de los hijos de 5 a 17 años" in text
    assert "Próxima sesión de sensibilización en su parroquia" in text
    assert "Casa comunal de Tacamoros" in text
    assert "miércoles 25 de noviembre, 09:00" in text  # es-EC via Babel, demo event at +5 days


async def test_not_enabled_asks_for_a_registro_social_update(citizen: TelegramUser) -> None:
    text = await _ask(citizen, DEMO_PEOPLE[2].cedula, _birth(2))
    assert "no sube a pago" in text
    assert "desactualizada" in text
    assert "encuesta del Registro Social" in text


async def test_removed_beneficiary_is_told_why(citizen: TelegramUser) -> None:
    text = await _ask(citizen, DEMO_PEOPLE[3].cedula, _birth(3))
    assert "dado de baja" in text
    assert "afiliado al IESS" in text


async def test_unknown_cedula_offers_a_verification_case_with_its_number(
    citizen: TelegramUser, services: Services
) -> None:
    unknown = complete_cedula("110999999")
    text = await _ask(citizen, unknown, "01/01/1980")
    assert "No encontré un registro de pago" in text
    await citizen.press("Abrir un caso")
    replies = await citizen.say("tacamoros")
    assert "Abrimos el caso 11D06-2026-" in replies[0]
    async with services.session_factory() as session:
        case = await session.scalar(select(Case))
    assert case is not None and case.kind == "verificacion" and case.cedula == unknown
    assert case.parish_code == "111252" and case.reporter_consent


async def test_unknown_cedula_and_wrong_birth_date_get_the_same_answer(
    citizen: TelegramUser, bot_api: FakeBotApi, services: Services
) -> None:
    wrong_factor = await _ask(citizen, DEMO_PEOPLE[0].cedula, "01/01/1980")
    other = TelegramUser(citizen.app, bot_api, chat_id=5550998)  # the same attempts left
    unknown = await _ask(other, complete_cedula("110999999"), "01/01/1980")
    assert wrong_factor == unknown
    assert "Le quedan 2 intentos" in unknown
    async with services.session_factory() as session:
        outcomes = list(await session.scalars(select(AuditEntry.outcome)))
    assert outcomes == ["no_match", "no_match"]


async def test_three_failures_lock_the_chat_and_the_cedula(
    citizen: TelegramUser, bot_api: FakeBotApi, services: Services, telegram_app: object
) -> None:
    target = DEMO_PEOPLE[0]
    for _ in range(3):
        await _ask(citizen, target.cedula, "02/02/1970")
        await citizen.say("menú")
    replies = await citizen.say("/pago")
    assert "bloqueada hasta el viernes 20 de noviembre, 10:30" in replies[0]  # Guayaquil time
    other = TelegramUser(citizen.app, bot_api, chat_id=5550999)
    text = await _ask(other, target.cedula, _birth(0))
    assert "bloqueada" in text, "the right birth date from another chat is refused too"
    assert "Su pago está activo" not in text
    async with services.session_factory() as session:
        locks = await session.scalar(select(func.count()).select_from(VerificationLock))
        audited = await session.scalar(select(func.count()).select_from(AuditEntry))
    assert locks == 2  # the guessing chat and the cédula (the other chat is told at the cédula)
    assert audited == 3
    assert all(
        target.cedula not in str(c.params) for c in bot_api.calls if c.method != "sendMessage"
    )


async def test_wrong_check_digit_and_impossible_date_get_their_own_messages(
    citizen: TelegramUser,
) -> None:
    await citizen.say("/pago")
    good = DEMO_PEOPLE[0].cedula
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    replies = await citizen.say(bad)
    assert "dígito verificador" in replies[0]
    await citizen.say(good)
    replies = await citizen.say("31/02/1950")
    assert "31/02/1950 no existe: ese mes tiene 28 días" in replies[0]
    replies = await citizen.say("")
    assert "No recibí ningún texto" in replies[0]


async def test_a_restart_in_the_middle_of_the_flow_resumes_at_the_same_step(
    citizen: TelegramUser, services: Services, bot_api: FakeBotApi
) -> None:
    from bot.handlers.telegram.application import build_application

    await citizen.say("/pago")
    await citizen.say(DEMO_PEOPLE[4].cedula)
    await citizen.app.shutdown()
    restarted = build_application(services, request=bot_api, updates_request=bot_api)
    await restarted.initialize()
    try:
        again = TelegramUser(restarted, bot_api, chat_id=citizen.chat_id)
        text = "\n".join(await again.say(_birth(4)))
    finally:
        await restarted.shutdown()
        await citizen.app.initialize()  # the fixture shuts it down again
    assert "Rosa, su Pensión Mis Mejores Años" in text
    assert "Su pago está activo." in text
