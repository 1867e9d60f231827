"""Left-out people become district cases: scoped visibility, the workflow, reporter notices."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.domain.errors import InvalidTransition, NotAllowed, NotFound
from bot.domain.staff import Role
from bot.flows.engine import FlowEngine
from bot.services import cases
from bot.services.container import Services
from bot.services.staff import create_staff
from bot.storage.models import Case, CaseUpdate, OptOut, OutboxMessage
from tests.support.chat import Chat
from tests.support.staff_accounts import make_scope

NUMBER = re.compile(r"\b(?:\d\dD\d\d|NAC)-\d{4}-\d{5}\b")


async def report(
    engine: FlowEngine,
    parish: str,
    *,
    channel: str = "telegram",
    address: str = "7001",
    consent: str = "Sí",
) -> str:
    """Reports an older adult in `parish` through the flow; returns the case number told."""
    chat = Chat(engine, channel=channel, address=address)
    await chat.say("/excluido")
    await chat.choose("adulta mayor")
    await chat.say(parish)
    await chat.say("Don Segundo, 82 años, vive solo y no recibe ninguna pensión.")
    await chat.say("Barrio El Limo, casa de adobe junto a la escuela")
    await chat.choose(consent)
    found = NUMBER.search(chat.text)
    assert found, chat.text
    return found.group(0)


async def test_report_becomes_a_case_of_the_parish_district_with_a_due_date(
    services: Services, flow_engine: FlowEngine
) -> None:
    number = await report(flow_engine, "Tacamoros")
    assert number.startswith("11D06-2026-")
    async with services.session_factory() as session:
        case = await session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        assert (case.kind, case.status, case.parish_code) == ("excluido", "nuevo", "111252")
        assert case.person_category == "adulto_mayor"
        assert case.contact_info == "Barrio El Limo, casa de adobe junto a la escuela"
        assert case.reporter_consent is True and case.reporter_contact_id is not None
        assert case.due_on is not None and (case.due_on - case.created_at.date()).days == 15


async def test_case_is_visible_to_its_district_and_not_to_another(
    services: Services, flow_engine: FlowEngine
) -> None:
    number = await report(flow_engine, "Tacamoros")
    calvas = await make_scope(services, Role.DISTRICT, district_code="11D06")
    loja = await make_scope(services, Role.DISTRICT, district_code="11D01")
    zone7 = await make_scope(services, Role.ZONAL, zone_code="7")
    zone1 = await make_scope(services, Role.ZONAL, zone_code="1")
    auditor = await make_scope(services, Role.AUDITOR)
    async with services.session_factory() as session:
        assert [c.number for c in await cases.list_cases(session, calvas)] == [number]
        assert await cases.list_cases(session, loja) == []
        assert [c.number for c in await cases.list_cases(session, zone7)] == [number]
        assert await cases.list_cases(session, zone1) == []
        assert [c.number for c in await cases.list_cases(session, auditor)] == [number]
        assert (await cases.get_case(session, calvas, number)).status == "nuevo"
        with pytest.raises(NotAllowed):
            await cases.get_case(session, loja, number)
        with pytest.raises(NotFound):
            await cases.get_case(session, calvas, "11D06-2026-99999")


async def test_status_changes_follow_the_workflow_and_reach_the_reporter(
    services: Services, flow_engine: FlowEngine
) -> None:
    number = await report(flow_engine, "Tacamoros", address="7002")
    calvas = await make_scope(services, Role.DISTRICT, district_code="11D06")
    loja = await make_scope(services, Role.DISTRICT, district_code="11D01")
    auditor = await make_scope(services, Role.AUDITOR)
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        with pytest.raises(NotAllowed):
            await cases.change_case_status(session, loja, number, "en_verificacion", now=now)
        with pytest.raises(NotAllowed):
            await cases.change_case_status(session, auditor, number, "en_verificacion", now=now)
        with pytest.raises(InvalidTransition):
            await cases.change_case_status(session, calvas, number, "incluido", now=now)
        first = await cases.change_case_status(
            session, calvas, number, "en_verificacion", now=now, note="Visita el martes"
        )
        assert first.reporter_notified and first.previous == "nuevo"
        second = await cases.change_case_status(session, calvas, number, "incluido", now=now)
        assert second.case.status == "incluido"
        with pytest.raises(InvalidTransition):
            await cases.change_case_status(session, calvas, number, "en_verificacion", now=now)
    async with services.session_factory() as session:
        sent = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        assert [(m.channel, m.address, m.kind) for m in sent] == [("telegram", "7002", "caso")] * 2
        assert number in sent[0].body and "En verificación" in sent[0].body
        assert "Visita el martes" in sent[0].body
        assert "Incluido en los servicios" in sent[1].body
        history = await cases.case_history(session, calvas, number)
        assert [h.status for h in history] == ["nuevo", "en_verificacion", "incluido"]
        assert history[1].staff_id == calvas.staff_id
        assert await session.scalar(
            select(CaseUpdate.id).where(CaseUpdate.note == "Visita el martes")
        )


async def test_sms_reporter_is_notified_by_sms_unless_opted_out(
    services: Services, flow_engine: FlowEngine
) -> None:
    phone = "+593991112233"
    number = await report(flow_engine, "Tacamoros", channel="sms", address=phone)
    calvas = await make_scope(services, Role.DISTRICT, district_code="11D06")
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        change = await cases.change_case_status(session, calvas, number, "en_verificacion", now=now)
        assert change.reporter_notified
        session.add(OptOut(phone=phone, opted_out_at=now, source="BAJA"))
        await session.flush()
        change = await cases.change_case_status(session, calvas, number, "no_localizado", now=now)
        assert not change.reporter_notified
    async with services.session_factory() as session:
        sent = list(await session.scalars(select(OutboxMessage)))
        assert [(m.channel, m.address) for m in sent] == [("sms", phone)]


async def test_reporter_without_consent_gets_the_number_but_no_notices(
    services: Services, flow_engine: FlowEngine
) -> None:
    number = await report(flow_engine, "Tacamoros", address="7003", consent="No")
    calvas = await make_scope(services, Role.DISTRICT, district_code="11D06")
    async with services.session_factory() as session, session.begin():
        change = await cases.change_case_status(
            session, calvas, number, "en_verificacion", now=services.clock()
        )
        assert not change.reporter_notified
        case = await session.scalar(select(Case).where(Case.number == number))
        assert case is not None and case.reporter_contact_id is None


async def test_parish_without_district_mapping_goes_to_the_national_queue(
    services: Services, flow_engine: FlowEngine
) -> None:
    chat_number = await report(flow_engine, "Amarillos", address="7004")
    assert chat_number.startswith("NAC-")
    calvas = await make_scope(services, Role.DISTRICT, district_code="11D06")
    admin = await make_scope(services, Role.ADMIN)
    async with services.session_factory() as session:
        assert await cases.list_cases(session, calvas) == []
        [case] = await cases.list_cases(session, admin)
        assert case.district_code is None and case.parish_code == "110554"


async def test_unknown_parish_gets_the_nearest_names(flow_engine: FlowEngine) -> None:
    chat = Chat(flow_engine, channel="telegram", address="7005")
    await chat.say("/excluido")
    await chat.choose("discapacidad")
    replies = await chat.say("Tacamo")
    assert "No encontré la parroquia «Tacamo»" in replies[-1].text
    assert "Tacamoros" in replies[-1].text
    await chat.choose("Tacamoros")
    assert "Cuéntenos brevemente su situación" in chat.text
    replies = await chat.say("Xyzzy")  # now a situation, accepted as free text
    assert "¿Cómo la podemos ubicar?" in replies[-1].text


async def test_nonsense_parish_is_asked_again(flow_engine: FlowEngine) -> None:
    chat = Chat(flow_engine, channel="telegram", address="7006")
    await chat.say("/excluido")
    await chat.choose("niño")
    replies = await chat.say("qqqqqq")
    assert "No encontré ninguna parroquia" in replies[-1].text
    await chat.say("Tacamoros")
    assert "Cuéntenos brevemente" in chat.text


async def test_a_case_without_a_district_is_listed_to_national_staff_and_the_citizen_told_so(
    services: Services, flow_engine: FlowEngine
) -> None:
    reporter = Chat(flow_engine, channel="telegram", address="7007")
    await reporter.say("/excluido")
    await reporter.choose("adulta mayor")
    await reporter.say("Amarillos")
    await reporter.say("Doña Rosa, 80 años, sin pensión")
    await reporter.say("Junto a la iglesia")
    await reporter.choose("Sí")
    number = NUMBER.search(reporter.text)
    assert number and number.group(0).startswith("NAC-")
    assert "El equipo nacional del MIES lo revisará hasta el" in reporter.text
    assert "dirección distrital lo revisará" not in reporter.text.lower()
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        for user_id, role in ((9201, Role.ADMIN), (9202, Role.AUDITOR), (9203, Role.ZONAL)):
            staff = await create_staff(
                session,
                name=f"P{user_id}",
                role=role,
                now=now,
                zone_code="7" if role is Role.ZONAL else None,
            )
            staff.telegram_user_id = user_id
    admin = Chat(flow_engine, channel="telegram", address="9201")
    await admin.say("/casos")
    await admin.choose("Cola nacional")
    assert "cola nacional" in admin.text and number.group(0) in admin.text
    await admin.choose(number.group(0))  # the administrator can act on it
    assert "¿A qué estado pasa?" in admin.text
    auditor = Chat(flow_engine, channel="telegram", address="9202")
    await auditor.say("/casos")
    await auditor.say("Amarillos")  # a place without a district: its queue is the national one
    assert number.group(0) in auditor.text
    zonal = Chat(flow_engine, channel="telegram", address="9203")
    await zonal.say("/casos")
    await zonal.say("nacional")
    assert number.group(0) not in zonal.text and "administrador" in zonal.text
