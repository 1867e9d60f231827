"""«/evento»: staff schedule a parish event, within their territory, at a real future time."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.domain.staff import Role
from bot.flows.engine import FlowEngine
from bot.services.container import Services
from bot.services.staff import create_staff, issue_link_code
from bot.storage.models import (
    AuditEntry,
    Beneficiary,
    Contact,
    Event,
    OptOut,
    OutboxMessage,
    Subscription,
)
from tests.support.chat import Chat

TACAMOROS = "111252"  # district 11D06


async def _staff(services: Services, role: Role, user_id: int, district: str | None = None) -> int:
    async with services.session_factory() as session, session.begin():
        staff = await create_staff(
            session, name=f"P{user_id}", role=role, now=services.clock(), district_code=district
        )
        staff.telegram_user_id = user_id
        return staff.id


async def _events(services: Services) -> list[Event]:
    async with services.session_factory() as session:
        return list(await session.scalars(select(Event).order_by(Event.id)))


async def test_a_district_analyst_schedules_a_brigada_in_their_parish(
    services: Services, flow_engine: FlowEngine
) -> None:
    staff_id = await _staff(services, Role.DISTRICT, 8101, "11D06")
    before = len(await _events(services))
    chat = Chat(flow_engine, channel="telegram", address="8101")

    await chat.say("/evento")
    assert "tipo de evento" in chat.text
    await chat.choose("Brigada social")
    await chat.say("tacamoros")
    assert "Hora local de Tacamoros" in chat.text
    await chat.say("31/02/2027 10:00")
    assert "no existe" in chat.text
    await chat.say("ayer")
    assert "ya pasó" in chat.text
    await chat.say("15/12/2026 10:00")
    await chat.say("Casa comunal")
    await chat.say("Cedulación y atención a adultos mayores")
    await chat.say("3 días, 2 horas")
    assert "3 días antes, 2 horas antes" in chat.text
    assert "martes 15 de diciembre de 2026, 10:00" in chat.text
    await chat.choose("Programar")
    assert "programado" in chat.text

    events = await _events(services)
    assert len(events) == before + 1
    event = events[-1]
    assert event.kind == "brigada_social" and event.parish_code == TACAMOROS
    assert event.starts_at == datetime(2026, 12, 15, 15, 0, tzinfo=UTC)
    assert event.place == "Casa comunal"
    assert event.reminder_offsets_minutes == [4320, 120]
    assert event.created_by == staff_id
    async with services.session_factory() as session:
        audited = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "event.created")
        )
    assert audited is not None and audited.target == f"event:{event.id}"


async def test_event_kind_in_the_command_and_default_reminders(
    services: Services, flow_engine: FlowEngine
) -> None:
    await _staff(services, Role.ADMIN, 8102)
    chat = Chat(flow_engine, channel="telegram", address="8102")
    await chat.say("/evento feria")
    assert "parroquia" in chat.text
    await chat.say("Puerto Baquerizo Moreno")
    await chat.say("15/12/2026 10:00")
    await chat.say("Malecón")
    await chat.choose("Sin descripción")
    await chat.choose("7 días y 1 día")
    await chat.choose("Programar")
    event = (await _events(services))[-1]
    # Galápagos is UTC-6: 10:00 there is 16:00 UTC.
    assert event.kind == "feria" and event.starts_at == datetime(2026, 12, 15, 16, 0, tzinfo=UTC)
    assert event.reminder_offsets_minutes == [10080, 1440] and event.description == ""


async def test_an_analyst_cannot_schedule_an_event_in_another_district(
    services: Services, flow_engine: FlowEngine
) -> None:
    await _staff(services, Role.DISTRICT, 8103, "11D06")
    chat = Chat(flow_engine, channel="telegram", address="8103")
    await chat.say("/evento brigada")
    await chat.say("Puerto Baquerizo Moreno")
    assert "Disculpe, solo puede actuar sobre su territorio" in chat.text
    async with services.session_factory() as session:
        denied = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "staff.denied"))
        )
    assert [d.detail["action"] for d in denied] == ["crear_evento"]


async def test_an_auditor_and_a_citizen_cannot_schedule_events(
    services: Services, flow_engine: FlowEngine
) -> None:
    await _staff(services, Role.AUDITOR, 8104)
    auditor = Chat(flow_engine, channel="telegram", address="8104")
    await auditor.say("/evento")
    assert "solo lectura" in auditor.text
    citizen = Chat(flow_engine, channel="telegram", address="8105")
    await citizen.say("/evento")
    assert "solo para el personal" in citizen.text


async def test_discarding_an_event_stores_nothing(
    services: Services, flow_engine: FlowEngine
) -> None:
    await _staff(services, Role.DISTRICT, 8106, "11D06")
    before = len(await _events(services))
    chat = Chat(flow_engine, channel="telegram", address="8106")
    await chat.say("/evento sensibilizacion")
    await chat.say("Tacamoro")
    assert "Tacamoros" in chat.text
    await chat.say("mañana 10:00")
    await chat.say("Escuela")
    await chat.say("Charla")
    await chat.say("pronto")
    assert "No entendí" in chat.text
    await chat.say("1 día")
    await chat.choose("Descartar")
    assert "no se guardó" in chat.text
    assert len(await _events(services)) == before


async def test_staff_link_in_one_message_with_the_code_after_the_command(
    services: Services, flow_engine: FlowEngine
) -> None:
    staff_id = await _staff(services, Role.DISTRICT, 0, "11D06")
    async with services.session_factory() as session, session.begin():
        code = await issue_link_code(session, staff_id, services.clock())
    chat = Chat(flow_engine, channel="telegram", address="8107")
    await chat.say("/vincular ZZZZZZZZ")
    assert "no es válido" in chat.text
    await chat.say(f"/vincular {code}")
    assert "vinculada" in chat.text


async def _tacamoros_people(services: Services) -> None:
    """Two registry mobiles (one opted out), one Telegram subscriber; one mobile elsewhere."""
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        for n, (phone, parish) in enumerate(
            [
                ("+593991000001", TACAMOROS),
                ("+593991000002", TACAMOROS),
                ("+593991000003", "110101"),
            ]
        ):
            session.add(
                Beneficiary(
                    cedula=f"11000000{n:02d}",
                    names="Persona",
                    mobile=phone,
                    parish_code=parish,
                    programme="BDH",
                    status="activo",
                    row_hash="x",
                    updated_at=now,
                )
            )
        session.add(OptOut(phone="+593991000002", opted_out_at=now, source="sms"))
        contact = Contact(channel="telegram", address="555", created_at=now, last_seen_at=now)
        session.add(contact)
        await session.flush()
        session.add(
            Subscription(
                contact_id=contact.id,
                parish_code=TACAMOROS,
                channel="telegram",
                address="555",
                topic="eventos",
                consent_at=now,
                created_at=now,
            )
        )


async def test_an_event_created_on_telegram_queues_its_announcements_at_once(
    services: Services, flow_engine: FlowEngine
) -> None:
    await _tacamoros_people(services)
    await _staff(services, Role.DISTRICT, 8108, "11D06")
    chat = Chat(flow_engine, channel="telegram", address="8108")
    await chat.say("/evento brigada")
    await chat.say("Tacamoros")
    await chat.say("15/12/2026 10:00")
    await chat.say("Casa comunal")
    await chat.say("Atención integral")
    await chat.choose("7 días y 1 día")
    await chat.choose("Programar")
    # 2 recipients (the opted-out phone and the other parish are left out) × 2 reminders.
    assert "4 mensajes en la cola" in chat.text
    event = (await _events(services))[-1]
    async with services.session_factory() as session:
        rows = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"event:{event.id}:%"))
            )
        )
    assert sorted((r.channel, r.address) for r in rows) == [
        ("sms", "+593991000001"),
        ("sms", "+593991000001"),
        ("telegram", "555"),
        ("telegram", "555"),
    ]
    # T-7 days and T-1 day at 09:00 in Tacamoros (UTC-5).
    assert sorted({r.next_attempt_at for r in rows}) == [
        datetime(2026, 12, 8, 14, 0, tzinfo=UTC),
        datetime(2026, 12, 14, 14, 0, tzinfo=UTC),
    ]
    assert all("Casa comunal" in r.body for r in rows)
