"""«¿Qué me falta cumplir?» on Telegram: a verified mother reads what her household still has to
meet and where to go, asks for reminders; a suspended one reads the steps in their order, with
the next session planned in her parish."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.flows.engine import FlowEngine
from bot.services.container import Services
from bot.storage.models import Beneficiary, Commitment, Event, OutboxMessage, ReminderConsent
from bot.storage.registry_sample import sample_cedula
from notificaciones.condition_reminders import materialise_condition_reminders
from tests.support.chat import Chat

TACAMOROS = "111252"


async def _household(
    services: Services,
    n: int,
    *,
    status: str = "activo",
    reason: str | None = None,
    pending: str | None = None,
    children: str | None = None,
) -> str:
    cedula = sample_cedula(n)
    async with services.session_factory() as session, session.begin():
        session.add(
            Beneficiary(
                cedula=cedula,
                names=f"Rosa Cumbicus {n}",
                birth_date=datetime(1990, 7, 2).date(),
                mobile=f"+59399000{n:04d}",
                parish_code=TACAMOROS,
                programme="BDHV",
                status=status,
                reason_code=reason,
                children_birth_dates=children,
                pending_conditions=pending,
                row_hash="x",
                updated_at=services.clock(),
            )
        )
    return cedula


async def _ask(engine: FlowEngine, chat_id: str, cedula: str) -> Chat:
    chat = Chat(engine, channel="telegram", address=chat_id)
    await chat.say("¿Qué me falta cumplir?")
    assert "cédula" in chat.text
    await chat.say(cedula)
    await chat.say("02/07/1990")
    return chat


async def test_a_mother_reads_her_pending_conditions_with_where_to_go_and_asks_for_reminders(
    services: Services, flow_engine: FlowEngine
) -> None:
    cedula = await _household(
        services,
        1,
        pending="control_menor5;matricula",
        children="2022-01-15;2016-06-01",
    )

    chat = await _ask(flow_engine, "7001", cedula)

    text = chat.text
    assert "A su hogar le falta cumplir:" in text
    under5 = text.index("control de salud de su niña o niño menor de 5 años: hasta el 14 de enero")
    school = text.index("matrícula escolar")
    assert under5 < school  # soonest first
    assert "centro de salud del Ministerio de Salud Pública (MSP)" in text
    assert "escuela o colegio" in text
    assert "(fecha aproximada)" in text  # both dates are derived: birthday, school calendar
    assert "suspendido" not in text

    await chat.choose("Sí, recordarme")
    assert "le recordaremos por este medio, nunca de noche" in chat.text
    async with services.session_factory() as session:
        consents = list(await session.scalars(select(ReminderConsent)))
    assert [(c.cedula, c.topic, c.channel, c.address) for c in consents] == [
        (cedula, "corresponsabilidad", "telegram", "7001")
    ]

    again = await _ask(flow_engine, "7001", cedula)
    assert "Ya recibe recordatorios" in again.text
    await again.choose("Dejar de recibir")
    async with services.session_factory() as session:
        consent = await session.scalar(select(ReminderConsent))
    assert consent is not None and consent.withdrawn_at is not None


async def test_a_suspended_household_reads_the_ladder_in_order_with_the_next_session(
    services: Services, flow_engine: FlowEngine
) -> None:
    cedula = await _household(
        services, 2, status="suspendido", reason="corresp_matricula", children="2014-03-01"
    )
    async with services.session_factory() as session, session.begin():
        session.add(
            Event(
                kind="sensibilizacion",
                title="Sensibilización en Tacamoros",
                parish_code=TACAMOROS,
                starts_at=datetime(2026, 12, 4, 15, 0, tzinfo=UTC),
                place="Casa comunal",
                created_at=services.clock(),
            )
        )

    chat = await _ask(flow_engine, "7002", cedula)

    text = chat.text
    assert "matrícula escolar" in text  # the suspension's condition is pending too
    steps = [
        "Su pago está suspendido. Siga estos pasos, en este orden:",
        "1. Primero matricule a su hija o hijo",
        "educación inconclusa",
        "2. Después lleve el certificado a su dirección distrital",
        "3. Luego asista a una sesión de sensibilización",
        "Próxima sesión en su parroquia: Sensibilización en Tacamoros",
        "Casa comunal",
        "4. Cumplidos estos pasos, el pago suspendido puede ser rehabilitado",
    ]
    positions = [text.index(step) for step in steps]
    assert positions == sorted(positions)


async def test_without_a_planned_session_the_ladder_says_to_ask_the_district(
    services: Services, flow_engine: FlowEngine
) -> None:
    cedula = await _household(services, 3, status="suspendido", reason="corresp_control_menor5")

    chat = await _ask(flow_engine, "7003", cedula)

    assert "1. Primero lleve a su niña o niño al control de salud" in chat.text
    assert "no hay una sesión programada en su parroquia" in chat.text


async def test_acuerdos_shows_the_citizens_commitment_beside_the_institutions(
    services: Services, flow_engine: FlowEngine
) -> None:
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        session.add(
            Commitment(
                parish_code=TACAMOROS,
                proposal="Participar en los eventos que realiza el MIES, en la parroquia",
                citizen_commitment="Predisposición para ejecutar las actividades propuestas",
                institution_commitment="Informar mediante los equipos técnicos, con anticipación",
                permanent=True,
                responsible_unit="Dirección Distrital Calvas",
                created_at=now,
                updated_at=now,
            )
        )
    chat = Chat(flow_engine, channel="telegram", address="7004")
    await chat.say("/acuerdos")
    await chat.say("Tacamoros")

    text = chat.text
    citizens = text.index("Compromiso de la ciudadanía: Predisposición para ejecutar")
    institution = text.index("Compromiso institucional: Informar mediante los equipos técnicos")
    assert citizens < institution


async def test_an_english_speaker_on_telegram_gets_her_reminder_in_english_on_telegram(
    services: Services, flow_engine: FlowEngine
) -> None:
    cedula = await _household(
        services, 5, pending="control_menor5:2026-12-21", children="2022-01-15"
    )
    chat = Chat(flow_engine, channel="telegram", address="7005")
    await chat.say("/idioma")
    await chat.press("en")
    await chat.say("/cumplir")
    await chat.say(cedula)
    await chat.say("02/07/1990")
    assert "Your household still has to meet:" in chat.text
    await chat.choose("Yes, remind me")

    # 30 days before 21 December is 21 November, 09:00 in Loja; the clock reads 20 Nov 10:00.
    async with services.session_factory() as session, session.begin():
        added = await materialise_condition_reminders(session, services.settings, services.clock())
    async with services.session_factory() as session:
        rows = list(await session.scalars(select(OutboxMessage)))

    assert added == 1
    assert [(r.channel, r.address) for r in rows] == [("telegram", "7005")]
    assert rows[0].body.startswith("MIES: remember the under-5 health check-up by December 21")
    assert "To stop: /cumplir" in rows[0].body and "BAJA" not in rows[0].body
