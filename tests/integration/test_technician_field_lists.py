"""The technician who visits Tacamoros prints her field list and records whom she told in person;
a technician from another district (or one not assigned the parish) cannot print it."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from bot.domain.staff import Role, StaffScope
from bot.flows.engine import FlowEngine
from bot.i18n import translator
from bot.services import field_lists, reports, technicians
from bot.services.authz import PermissionDenied
from bot.services.container import Services
from bot.storage.models import AuditEntry, Beneficiary, Commitment, Event, Staff
from bot.storage.registry_sample import sample_cedula
from tests.support.chat import Chat
from tests.support.clock import FakeClock
from tests.support.staff_accounts import make_scope

TACAMOROS = "111252"
FAMILIES = (
    # name, status, reason, pending conditions, children
    ("Rosa Cumbicus", "activo", None, "control_menor5", "2022-01-15"),
    ("María Jaramillo", "activo", None, "matricula:2027-08-10", "2015-05-05"),
    ("Carmen Sarango", "suspendido", "corresp_asistencia", None, "2013-02-02"),
    ("Lucía Ordóñez", "activo", None, None, None),  # nothing pending: not on the list
)


async def _tacamoros(services: Services, clock: FakeClock) -> tuple[StaffScope, StaffScope]:
    now = clock()
    calvas = await make_scope(services, Role.DISTRICT, district_code="11D06")
    ana = await make_scope(services, Role.TECHNICIAN, district_code="11D06", name="Ana Técnica")
    async with services.session_factory() as session, session.begin():
        for n, (names, status, reason, pending, children) in enumerate(FAMILIES, start=1):
            session.add(
                Beneficiary(
                    cedula=sample_cedula(n),
                    names=names,
                    mobile=f"+59399100{n:04d}",
                    parish_code=TACAMOROS,
                    programme="BDHV",
                    status=status,
                    reason_code=reason,
                    pending_conditions=pending,
                    children_birth_dates=children,
                    row_hash="x",
                    updated_at=now,
                )
            )
        session.add(
            Event(
                kind="encuentro_comunitario",
                title="Encuentro comunitario en Tacamoros",
                parish_code=TACAMOROS,
                starts_at=datetime(2026, 12, 5, 15, 0, tzinfo=UTC),
                place="Casa comunal de Tacamoros",
                created_at=now,
            )
        )
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
        await session.flush()
        await technicians.assign(
            session, calvas, technician_id=ana.staff_id, parish_code=TACAMOROS, now=now
        )
        await technicians.plan_visit(
            session,
            ana,
            cedula=sample_cedula(1),
            window_start=datetime(2026, 11, 25, 14, 0, tzinfo=UTC),  # 09:00 in Loja
            window_end=datetime(2026, 11, 25, 17, 0, tzinfo=UTC),
            now=now,
        )
    return calvas, ana


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


async def test_the_technicians_field_list_for_tacamoros_reads_back_names_events_conditions(
    services: Services, clock: FakeClock
) -> None:
    _calvas, ana = await _tacamoros(services, clock)

    async with services.session_factory() as session:
        data = await field_lists.technician_field_list(
            session, ana, ana.staff_id, now=clock(), zone=services.settings.timezone
        )
    pdf = field_lists.render_pdf(data, translator("es_EC"), "MIES")

    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert "Lista de campo - Ana Técnica" in text
    assert "Parroquia Tacamoros (111252)" in text
    assert "Encuentro comunitario en Tacamoros" in text and "Casa comunal de Tacamoros" in text
    assert "Informar mediante los equipos técnicos" in text
    assert "Predisposición para ejecutar" in text
    for name in ("Rosa Cumbicus", "María Jaramillo", "Carmen Sarango"):
        assert name in text
    assert "Lucía Ordóñez" not in text
    assert "control de salud de su niña o niño menor de 5 años: 14/1/27" in text
    assert "matrícula escolar" in text
    assert "Pago suspendido" in text
    assert "Próxima visita: 25/11/26, 09:00-12:00" in text
    assert "Familias a informar (3)" in text


async def test_a_technician_of_another_district_cannot_print_the_tacamoros_list(
    services: Services, clock: FakeClock
) -> None:
    _calvas, ana = await _tacamoros(services, clock)
    luis = await make_scope(services, Role.TECHNICIAN, district_code="11D01", name="Luis Loja")
    pedro = await make_scope(services, Role.TECHNICIAN, district_code="11D06", name="Pedro")
    zone = services.settings.timezone

    async with services.session_factory() as session, session.begin():
        with pytest.raises(PermissionDenied):
            await field_lists.parish_field_list(session, luis, TACAMOROS, now=clock(), zone=zone)
        with pytest.raises(PermissionDenied):
            await field_lists.technician_field_list(
                session, luis, ana.staff_id, now=clock(), zone=zone
            )
        with pytest.raises(PermissionDenied):  # same district, parish not assigned to him
            await field_lists.parish_field_list(session, pedro, TACAMOROS, now=clock(), zone=zone)
        with pytest.raises(PermissionDenied):
            await technicians.record_informed(
                session, luis, cedula=sample_cedula(1), topic="evento", now=clock()
            )
    async with services.session_factory() as session:
        denied = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "staff.denied"))
        )
    assert len(denied) == 4


async def test_on_telegram_the_technician_lists_her_families_and_records_one_informed(
    services: Services, clock: FakeClock, flow_engine: FlowEngine
) -> None:
    calvas, ana = await _tacamoros(services, clock)
    async with services.session_factory() as session, session.begin():
        for scope, user in ((ana, 9101), (calvas, 9102)):
            staff = await session.get(Staff, scope.staff_id)
            assert staff is not None
            staff.telegram_user_id = user
    chat = Chat(flow_engine, channel="telegram", address="9101")

    await chat.say("/familias")
    assert "Tacamoros: 3 familias con pendientes o visitas" in chat.text
    assert "Rosa Cumbicus: control de salud" in chat.text and "visita 25/11/26" in chat.text
    assert "Carmen Sarango" in chat.text and "pago suspendido" in chat.text

    await chat.say("/informado")
    await chat.say(sample_cedula(1))
    await chat.choose("evento")
    assert "familia informada en persona" in chat.text

    analyst = Chat(flow_engine, channel="telegram", address="9102")
    await analyst.say("/estadisticas")
    assert "familias informadas en persona: 1" in analyst.text


async def test_the_period_report_counts_families_informed_in_person_beside_sms_and_telegram(
    services: Services, clock: FakeClock
) -> None:
    calvas, ana = await _tacamoros(services, clock)
    async with services.session_factory() as session, session.begin():
        for n in (1, 2):
            await technicians.record_informed(
                session, ana, cedula=sample_cedula(n), topic="evento", now=clock()
            )
    async with services.session_factory() as session:
        data = await reports.period_report(
            session,
            calvas,
            since=clock().date(),
            until=clock().date(),
            territory_code="11D06",
            tz=services.settings.timezone,
        )

    table = reports.reach_table(data)
    assert table[0] == [
        "Parroquia", "Código", "SMS enviados", "Telegram enviados", "Informados en persona",
    ]  # fmt: skip
    assert ["Tacamoros", TACAMOROS, 0, 0, 2] in table
    assert "Difusión" in reports.report_sheets(data)
