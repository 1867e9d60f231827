"""Staff on Telegram: linking, authorisation by role and territory, broadcasts, cases, stats."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.domain.staff import Role
from bot.flows.engine import FlowEngine
from bot.services.authz import (
    PERMISSIONS,
    READ_ACTIONS,
    Action,
    PermissionDenied,
    authorize,
)
from bot.services.cases import open_case
from bot.services.container import Services
from bot.services.staff import create_staff, issue_link_code, scope_of
from bot.services.staff_queries import district_cases
from bot.storage.models import AuditEntry, Beneficiary, Broadcast, OptOut, OutboxMessage, Staff
from bot.storage.registry_sample import sample_cedula
from tests.support.chat import Chat

TACAMOROS, LOJA_CENTRO = "111252", "110101"  # districts 11D06 and 11D01


async def _staff(
    services: Services,
    role: Role,
    user_id: int,
    *,
    district: str | None = None,
    zone: str | None = None,
) -> Staff:
    async with services.session_factory() as session, session.begin():
        staff = await create_staff(
            session,
            name=f"Persona {user_id}",
            role=role,
            now=services.clock(),
            district_code=district,
            zone_code=zone,
        )
        staff.telegram_user_id = user_id
    return staff


async def _people(services: Services) -> dict[str, list[str]]:
    """Three mobiles in Tacamoros (one opted out), two in Loja; returns phones per parish."""
    now = services.clock()
    phones = {TACAMOROS: [], LOJA_CENTRO: []}
    async with services.session_factory() as session, session.begin():
        for n, parish in enumerate([TACAMOROS, TACAMOROS, TACAMOROS, LOJA_CENTRO, LOJA_CENTRO]):
            mobile = f"+59399100000{n}"
            session.add(
                Beneficiary(
                    cedula=sample_cedula(n),
                    names=f"P {n}",
                    programme="BDH",
                    status="activo",
                    parish_code=parish,
                    mobile=mobile,
                    amount=Decimal(55),
                    row_hash=str(n),
                    updated_at=now,
                )
            )
            phones[parish].append(mobile)
        session.add(OptOut(phone=phones[TACAMOROS][2], opted_out_at=now, source="sms"))
    return phones


def _chat(engine: FlowEngine, user_id: int) -> Chat:
    return Chat(engine, channel="telegram", address=str(user_id))


async def _outbox(services: Services) -> list[OutboxMessage]:
    async with services.session_factory() as session:
        return list(await session.scalars(select(OutboxMessage)))


async def _denials(services: Services) -> list[AuditEntry]:
    async with services.session_factory() as session:
        return list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "staff.denied"))
        )


async def test_staff_link_telegram_with_a_one_time_code(
    services: Services, flow_engine: FlowEngine
) -> None:
    async with services.session_factory() as session, session.begin():
        staff = await create_staff(
            session,
            name="Ana Analista",
            role=Role.DISTRICT,
            now=services.clock(),
            district_code="11D06",
        )
        code = await issue_link_code(session, staff.id, services.clock())
    chat = _chat(flow_engine, 7001)

    await chat.say("/vincular")
    await chat.say("XXXXXXXX")
    assert "no es válido" in chat.text
    await chat.say(code.lower())
    assert "vinculada" in chat.text and "11D06" in chat.text

    other = _chat(flow_engine, 7002)
    await other.say("/vincular")
    await other.say(code)
    assert "no es válido" in other.text  # the code was spent


async def test_an_expired_link_code_is_refused(
    services: Services, flow_engine: FlowEngine, clock: object
) -> None:
    async with services.session_factory() as session, session.begin():
        staff = await create_staff(session, name="Z", role=Role.AUDITOR, now=services.clock())
        code = await issue_link_code(session, staff.id, services.clock() - timedelta(days=3))
    chat = _chat(flow_engine, 7003)
    await chat.say("/vincular")
    await chat.say(code)
    assert "no es válido" in chat.text


async def test_a_broadcast_reaches_the_outbox_for_exactly_the_previewed_recipients(
    services: Services, flow_engine: FlowEngine
) -> None:
    phones = await _people(services)
    await _staff(services, Role.DISTRICT, 8001, district="11D06")
    chat = _chat(flow_engine, 8001)

    await chat.say("/difundir")
    await chat.press("beneficiarios")
    await chat.press("district:11D06")
    await chat.press("todos")
    await chat.say("Brigada social el sabado 9h en la casa comunal de Tacamoros")
    assert "Destinatarios: 2 (SMS: 2, Telegram: 0)" in chat.text
    assert "1 segmento" in chat.text and "USD 0.10" in chat.text
    await chat.press("confirmar")
    assert "2 mensajes" in chat.text

    sent = await _outbox(services)
    assert sorted(m.address for m in sent) == sorted(phones[TACAMOROS][:2])
    assert {m.kind for m in sent} == {"broadcast"}
    async with services.session_factory() as session:
        broadcast = await session.scalar(select(Broadcast))
    assert broadcast is not None
    assert (broadcast.status, broadcast.recipients) == ("confirmada", 2)


async def test_a_broadcast_cancelled_at_preview_sends_nothing(
    services: Services, flow_engine: FlowEngine
) -> None:
    await _people(services)
    await _staff(services, Role.DISTRICT, 8002, district="11D06")
    chat = _chat(flow_engine, 8002)
    await chat.say("/difundir")
    await chat.press("beneficiarios")
    await chat.say("Tacamoros")
    await chat.press("BDH")
    await chat.say("Aviso de prueba con tildes: reunión")
    assert "con tildes" in chat.text
    await chat.press("cancelar_envio")
    assert "no se envió nada" in chat.text
    assert await _outbox(services) == []


async def test_confirming_after_the_audience_changed_asks_again(
    services: Services, flow_engine: FlowEngine
) -> None:
    await _people(services)
    await _staff(services, Role.DISTRICT, 8003, district="11D06")
    chat = _chat(flow_engine, 8003)
    await chat.say("/difundir")
    await chat.press("beneficiarios")
    await chat.press("district:11D06")
    await chat.press("todos")
    await chat.say("Aviso")
    async with services.session_factory() as session, session.begin():
        session.add(OptOut(phone="+593991000000", opted_out_at=services.clock(), source="sms"))
    await chat.press("confirmar")
    assert "cambiaron" in chat.text and await _outbox(services) == []
    await chat.press("confirmar")
    assert [m.address for m in await _outbox(services)] == ["+593991000001"]


async def test_a_district_analyst_cannot_broadcast_to_another_district(
    services: Services, flow_engine: FlowEngine
) -> None:
    await _people(services)
    await _staff(services, Role.DISTRICT, 8004, district="11D06")
    chat = _chat(flow_engine, 8004)
    await chat.say("/difundir")
    await chat.press("beneficiarios")
    await chat.say("11D01")
    assert "solo puede actuar sobre su territorio (distrito 11D06)" in chat.text
    await chat.say("nacional")
    assert "no permite esta acción" in chat.text
    await chat.say("/difundir")
    await chat.press("suscriptores")
    await chat.press("district:11D06")  # still allowed in its own district afterwards
    assert "texto del aviso" in chat.text
    assert await _outbox(services) == []
    denials = await _denials(services)
    assert [(d.outcome, d.detail["action"]) for d in denials] == [
        ("territory", "difundir"),
        ("role", "difundir_nacional"),
    ]


async def test_a_district_analyst_cannot_see_another_districts_cases(
    services: Services, flow_engine: FlowEngine
) -> None:
    analyst = await _staff(services, Role.DISTRICT, 8005, district="11D06")
    async with services.session_factory() as session, session.begin():
        now = services.clock()
        own = await open_case(
            session,
            kind="verificacion",
            now=now,
            district_code="11D06",
            parish_code=TACAMOROS,
            description="a",
        )
        other = await open_case(
            session,
            kind="verificacion",
            now=now,
            district_code="11D01",
            parish_code=LOJA_CENTRO,
            description="b",
        )
        own_number, other_number = own.number, other.number
    chat = _chat(flow_engine, 8005)
    await chat.say("/casos")
    assert own_number in chat.text and other_number not in chat.text

    async with services.session_factory() as session:
        with pytest.raises(PermissionDenied):
            await district_cases(session, scope_of(analyst), "11D01", now=services.clock())


async def test_a_district_analyst_cannot_run_administrator_commands(services: Services) -> None:
    analyst = await _staff(services, Role.DISTRICT, 8006, district="11D06")
    scope = scope_of(analyst)
    admin_only = [a for a, p in PERMISSIONS.items() if p.roles == {Role.ADMIN}]
    assert {Action.MANAGE_STAFF, Action.IMPORT_REGISTRY, Action.BROADCAST_NATIONAL} <= set(
        admin_only
    )
    async with services.session_factory() as session, session.begin():
        for action in admin_only:
            with pytest.raises(PermissionDenied):
                await authorize(session, scope, action, now=services.clock())
    assert len(await _denials(services)) == len(admin_only)


async def test_an_auditor_can_read_but_cannot_change_anything(
    services: Services, flow_engine: FlowEngine
) -> None:
    auditor = await _staff(services, Role.AUDITOR, 8007)
    scope = scope_of(auditor)
    writes = [
        a for a, p in PERMISSIONS.items() if Role.AUDITOR not in p.roles and a not in READ_ACTIONS
    ]
    async with services.session_factory() as session, session.begin():
        for action in writes:
            with pytest.raises(PermissionDenied, match="solo lectura"):
                await authorize(session, scope, action, now=services.clock(), district_code="11D06")
        for action in (Action.VIEW_CASES, Action.VIEW_STATS, Action.VIEW_COMMITMENTS):
            await authorize(session, scope, action, now=services.clock(), district_code="11D01")
    chat = _chat(flow_engine, 8007)
    await chat.say("/difundir")
    assert "solo lectura" in chat.text
    await chat.say("/estadisticas")
    await chat.say("11D06")
    assert "SMS enviados: 0" in chat.text


async def test_someone_who_is_not_staff_is_answered_politely_and_audited(
    services: Services, flow_engine: FlowEngine
) -> None:
    chat = _chat(flow_engine, 9999)
    await chat.say("/casos")
    assert "solo para el personal" in chat.text
    console = Chat(flow_engine)  # the console channel is never staff
    await console.say("/difundir")
    assert "solo para el personal" in console.text
    assert [d.outcome for d in await _denials(services)] == ["not_staff", "not_staff"]
