"""Citizens as they write (issue 17): each example of the issue, sent as the citizen's message
through the flow engine (console channel) and, for a few, the real Telegram Application."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.flows.engine import FlowEngine
from bot.services.container import Services
from bot.storage.demo_data import DEMO_PEOPLE, load_demo_data
from bot.storage.models import Case, Conversation
from tests.support.chat import Chat
from tests.support.fake_bot_api import TelegramUser


async def _where(services: Services, address: str = "tester") -> tuple[str, str]:
    async with services.session_factory() as session:
        conv = await session.scalar(select(Conversation).where(Conversation.address == address))
    assert conv is not None
    return conv.flow, conv.step


async def _at_menu(engine: FlowEngine, address: str = "tester") -> Chat:
    chat = Chat(engine, address=address)
    await chat.say("menú")
    return chat


@pytest.mark.parametrize(
    ("message", "flow", "step"),
    [
        ("no me pagaron", "pago", "asking_cedula"),
        ("desapareció mi bono", "pago", "asking_cedula"),
        ("xq no me yega el bono mija", "pago", "asking_cedula"),
        ("me bajaron el bono", "pago", "asking_cedula"),
        ("como hago para entrar al bono", "califico", "asking_age"),
        ("mi mama tiene 75 le toca la pension?", "califico", "asking_age"),
        ("a q hora atienden", "oficina", "asking_place"),
        ("numero de telefono del distrito", "oficina", "asking_place"),
        ("quiero poner una queja", "dialogo", "asking_parish"),
        ("hay un viejito abandonado en mi barrio", "excluido", "asking_who"),
    ],
)
async def test_everyday_phrasing_lands_in_the_right_flow(
    flow_engine: FlowEngine, services: Services, message: str, flow: str, step: str
) -> None:
    chat = await _at_menu(flow_engine)
    await chat.say(message)
    assert await _where(services) == (flow, step)


async def test_a_greeting_before_the_question_answers_the_question(
    flow_engine: FlowEngine, services: Services
) -> None:
    chat = Chat(flow_engine)
    await chat.say("Hola buenas tardes, no me llegó el bono")
    assert await _where(services) == ("pago", "asking_cedula")
    assert "cédula" in chat.text


async def test_a_greeting_alone_is_welcomed(flow_engine: FlowEngine) -> None:
    chat = await _at_menu(flow_engine)
    replies = await chat.say("buenas tardes mija")
    assert "Soy el asistente" in chat.text and replies[-1].options


async def test_wanting_a_person_hands_the_chat_to_a_person_and_gives_the_call_centre(
    flow_engine: FlowEngine,
) -> None:
    chat = await _at_menu(flow_engine)
    replies = await chat.say("quiero hablar con una persona")
    assert "1800-002-002" in chat.text
    assert "Le paso con una persona" in replies[-1].text  # the staff inbox (bot/services/handoff)
    assert "«menú»" in replies[-1].text  # and how to come back to the bot


async def test_fraud_is_answered_with_free_bonos_and_becomes_a_priority_case(
    flow_engine: FlowEngine, services: Services
) -> None:
    chat = await _at_menu(flow_engine)
    await chat.say("me cobran por el bono")
    assert "gratuitos" in chat.text and "Nadie puede cobrarle" in chat.text
    await chat.say("si")  # typed, not pressed
    replies = await chat.say("un tramitador en Sozoranga me pidió 20 dólares para subirme a pago")
    assert "Registramos su denuncia" in replies[0].text and "prioritario" in replies[0].text
    async with services.session_factory() as session:
        case = await session.scalar(select(Case))
    assert case is not None and case.kind == "fraude"
    assert case.due_on is not None and (case.due_on - case.created_at.date()).days <= 3
    assert "Le paso con una persona" in replies[-1].text  # a person follows the report up


@pytest.mark.parametrize("message", ["tramitador", "me piden plata para el bono"])
async def test_other_fraud_words_are_recognised(flow_engine: FlowEngine, message: str) -> None:
    chat = await _at_menu(flow_engine)
    await chat.say(message)
    assert "gratuitos" in chat.text


@pytest.mark.parametrize("message", ["gracias", "ok gracias mija", "👍"])
async def test_thanks_gets_a_short_answer_and_the_options(
    flow_engine: FlowEngine, message: str
) -> None:
    chat = await _at_menu(flow_engine)
    replies = await chat.say(message)
    assert "Con gusto" in chat.text and replies[-1].options
    assert "No entendí" not in chat.text


async def test_goodbye_says_goodbye(flow_engine: FlowEngine) -> None:
    chat = await _at_menu(flow_engine)
    replies = await chat.say("chao, hasta luego")
    assert "Hasta pronto" in chat.text and replies[-1].options


async def test_opting_out_in_words_unsubscribes(flow_engine: FlowEngine) -> None:
    chat = await _at_menu(flow_engine)
    replies = await chat.say("ya no quiero recibir mensajes")
    assert "No tiene recordatorios de eventos activos." in chat.text
    assert replies[-1].options


async def test_an_unclear_message_offers_two_guesses_a_person_and_the_menu(
    flow_engine: FlowEngine,
) -> None:
    chat = await _at_menu(flow_engine)
    replies = await chat.say("asdfgh qwerty")
    assert "No entendí" not in chat.text
    keys = [o.key for o in replies[-1].options]
    assert keys[-2:] == ["persona", "menu"]
    assert len(keys) <= 4


async def test_on_sms_the_guesses_are_numbers_the_citizen_can_send(
    flow_engine: FlowEngine, services: Services
) -> None:
    chat = Chat(flow_engine, channel="sms", address="+593991234567")
    await chat.say("menú")
    replies = await chat.say("la vaca se escapo")
    options = replies[-1].options
    assert options and options[-1].key == "menu"
    await chat.say(str(len(options)))  # «4»: the last option, the whole menu
    assert "Estas son todas las opciones" in chat.text


async def test_a_kichwa_greeting_is_greeted_back_and_offered_the_options(
    flow_engine: FlowEngine,
) -> None:
    chat = await _at_menu(flow_engine)
    replies = await chat.say("alli puncha mashi")
    assert chat.text.startswith("¡Alli puncha!") and "español" in chat.text
    assert replies[-1].options


async def test_my_case_number_shows_my_own_case_only(
    flow_engine: FlowEngine, services: Services
) -> None:
    mine = await _at_menu(flow_engine, "me")
    await mine.say("me cobran por el bono")
    await mine.press("report_notify")
    await mine.say("una señora cobra por anotar en el bono")
    await mine.say("menú")  # the report went to a person too: back to the bot
    async with services.session_factory() as session:
        case = await session.scalar(select(Case))
    assert case is not None
    await mine.say(f"mi caso {case.id}")
    assert f"Caso {case.number}: Nuevo." in mine.text
    other = await _at_menu(flow_engine, "someone else")
    await other.say(f"mi caso {case.id}")
    assert case.number not in other.text and "No encontré ese caso" in other.text


async def test_payment_status_second_factor_as_people_write_dates(
    flow_engine: FlowEngine, services: Services
) -> None:
    async with services.session_factory() as session, session.begin():
        await load_demo_data(session, services.clock())
    chat = await _at_menu(flow_engine)
    await chat.say("no me llega el bono")
    await chat.say(DEMO_PEOPLE[0].cedula)
    await chat.say("14 de marzo del 88")
    assert "Su pago está activo." in chat.text


async def test_a_3000_character_answer_is_kept_up_to_the_limit(
    flow_engine: FlowEngine, services: Services
) -> None:
    chat = await _at_menu(flow_engine)
    await chat.say("/dialogo")
    await chat.say("Tacamoros")
    long_answer = ("la tecnica no viene y no hay transporte " * 80).strip()
    replies = await chat.say(long_answer)
    assert "Guardé los primeros 2000" in replies[0].text
    assert await _where(services) == ("dialogo", "asking_needs")


async def test_menu_in_the_middle_of_the_dialogue_asks_before_discarding(
    flow_engine: FlowEngine, services: Services
) -> None:
    chat = await _at_menu(flow_engine)
    await chat.say("/dialogo")
    await chat.say("Tacamoros")
    await chat.say("No hay transporte para ir a la oficina")
    replies = await chat.say("menú")
    assert "se borrarán" in replies[-1].text
    await chat.press("stay")
    assert await _where(services) == ("dialogo", "asking_needs")
    await chat.say("menú")
    await chat.press("go:menu")
    assert await _where(services) == ("menu", "choosing")


async def test_a_new_question_while_asked_for_the_parish_is_not_taken_as_a_place(
    flow_engine: FlowEngine, services: Services
) -> None:
    chat = await _at_menu(flow_engine)
    await chat.say("/eventos")
    replies = await chat.say("mi hijo tiene discapacidad hay algun bono para el?")
    keys = [o.key for o in replies[-1].options]
    assert "go:califico" in keys
    await chat.press("go:califico")
    assert (await _where(services))[0] == "califico"


async def test_telegram_citizen_greets_and_asks_in_one_message(citizen: TelegramUser) -> None:
    texts = await citizen.say("buenos dias, me piden plata para el bono es verdad?")
    assert any("gratuitos" in t for t in texts)


async def _to_disability_question(chat: Chat, age: str) -> None:
    await chat.say("/califico")
    await chat.say(age)
    await chat.press("extrema_pobreza")
    await chat.say("no")  # typed: «No, ninguna» is the only option that reads as no


@pytest.mark.parametrize("age", ["72 añitos", "tiene 80", "setenta y dos años"])
async def test_an_age_with_words_around_it_is_read(
    flow_engine: FlowEngine, services: Services, age: str
) -> None:
    chat = await _at_menu(flow_engine)
    await chat.say("/califico")
    replies = await chat.say(age)
    assert "Registro Social" in replies[-1].text
    assert await _where(services) == ("califico", "asking_rs")


async def test_yes_and_a_percentage_in_a_sentence_are_read(
    flow_engine: FlowEngine, services: Services
) -> None:
    chat = await _at_menu(flow_engine)
    await _to_disability_question(chat, "tiene 70")
    assert await _where(services) == ("califico", "asking_disability")
    await chat.say("claro")
    assert await _where(services) == ("califico", "asking_disability_percent")
    replies = await chat.say("el 45 por ciento")
    assert "¿Cuida usted a una persona" in replies[-1].text


async def test_dont_know_the_percentage_goes_on_and_says_where_it_is(
    flow_engine: FlowEngine, services: Services
) -> None:
    chat = await _at_menu(flow_engine)
    await _to_disability_question(chat, "70")
    await chat.say("simon")
    replies = await chat.say("no sé")
    assert "carné de discapacidad" in chat.text
    assert "¿Cuida usted a una persona" in replies[-1].text


async def test_an_out_of_range_percentage_is_confirmed_then_used(
    flow_engine: FlowEngine, services: Services
) -> None:
    chat = await _at_menu(flow_engine)
    await _to_disability_question(chat, "70")
    await chat.say("si")
    replies = await chat.say("150")
    assert "Entendí 150" in replies[-1].text
    await chat.say("sí")
    assert await _where(services) == ("califico", "asking_care")


@pytest.mark.parametrize("answer", ["nop", "nel", "No."])
async def test_everyday_no_is_read_at_a_yes_no_question(
    flow_engine: FlowEngine, services: Services, answer: str
) -> None:
    chat = await _at_menu(flow_engine)
    await _to_disability_question(chat, "70")
    await chat.say(answer)
    assert await _where(services) == ("califico", "asking_care")


async def test_typed_si_accepts_on_a_consent_screen(
    flow_engine: FlowEngine, services: Services
) -> None:
    chat = await _at_menu(flow_engine)
    await chat.say("/excluido")
    await chat.press("adulto_mayor")
    await chat.say("Tacamoros Sozoranga")  # the parish with its canton, no comma
    await chat.say("Doña Rosa, 80 años, vive sola")
    await chat.say("barrio El Limo, casa azul")
    replies = await chat.say("si")
    assert "Registramos el caso" in replies[0].text
    async with services.session_factory() as session:
        case = await session.scalar(select(Case))
    assert case is not None and case.reporter_consent
