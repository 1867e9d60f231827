"""A family is reminded before a suspension: 30 and 7 days before a condition is due, once.

Rosa's son turns 5 on 15 January 2027 and the registry records no check-up: the under-5
check-up is due by the eve of his birthday. The technician who visits Tacamoros took down her
consent in person; her neighbour gave it too but later answered BAJA; a third family never
consented. The registry file, the scheduler's hourly job and the dispatcher are the real ones.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.domain.staff import Role
from bot.runtime.scheduler import NotificationScheduler
from bot.services import technicians
from bot.services.container import Services
from bot.services.registry_import import import_registry
from bot.storage.models import OptOut, OutboxMessage
from bot.storage.registry_sample import sample_cedula, sample_row, write_csv
from notificaciones.condition_reminders import CONDITION_KIND
from notificaciones.dispatcher import Dispatcher
from notificaciones.gateways.sms import ConsoleSmsGateway
from tests.support.clock import FakeClock
from tests.support.staff_accounts import make_scope

TACAMOROS = "111252"
LOJA = ZoneInfo("America/Guayaquil")
ROSA, NEIGHBOUR, NOBODY = sample_cedula(1), sample_cedula(2), sample_cedula(3)
ROSA_PHONE, NEIGHBOUR_PHONE, NOBODY_PHONE = "+593990000001", "+593990000002", "+593990000003"


def _family(n: int, phone: str) -> dict[str, str]:
    return {
        **sample_row(n),
        "mobile": "0" + phone.removeprefix("+593"),
        "parish_code": TACAMOROS,
        "programme": "BDHV",
        "status": "activo",
        "reason_code": "",
        "children_birth_dates": "2022-01-15;2016-06-01",
        "pending_conditions": "control_menor5",
    }


def _local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOJA).astimezone(UTC)


async def _setup(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "registro_diciembre.csv"
    write_csv(
        path,
        iter([_family(1, ROSA_PHONE), _family(2, NEIGHBOUR_PHONE), _family(3, NOBODY_PHONE)]),
    )
    summary = await import_registry(services.engine, path, now=services.clock())
    assert summary.rows_failed == 0, summary.first_errors
    tecnica = await make_scope(services, Role.TECHNICIAN, district_code="11D06", name="Técnica")
    calvas = await make_scope(services, Role.DISTRICT, district_code="11D06")
    async with services.session_factory() as session, session.begin():
        now = services.clock()
        await technicians.assign(
            session, calvas, technician_id=tecnica.staff_id, parish_code=TACAMOROS, now=now
        )
        for cedula in (ROSA, NEIGHBOUR):
            await technicians.record_consent(
                session, tecnica, cedula=cedula, topic="corresponsabilidad", now=now
            )
        session.add(OptOut(phone=NEIGHBOUR_PHONE, opted_out_at=now, source="sms_keyword"))


async def _hourly_run_and_dispatch(
    services: Services, clock: FakeClock, gateway: ConsoleSmsGateway, at: datetime
) -> None:
    clock.current = at
    dispatcher = Dispatcher(services.session_factory, services.settings, gateway, clock=clock)
    scheduler = NotificationScheduler(services, dispatcher)
    try:
        await scheduler.tick_conditions()
        await scheduler.tick_conditions()  # a second run, or a restart: nothing more
    finally:
        await scheduler.stop()  # gives up the leadership lock (PostgreSQL)
    await dispatcher.run_until_idle()


async def test_a_child_turning_five_without_check_up_brings_two_sms_once_never_at_night(
    services: Services, clock: FakeClock, tmp_path: Path
) -> None:
    await _setup(services, tmp_path)
    gateway = ConsoleSmsGateway(write=lambda _line: None)

    # Hourly runs over the weeks: too early, the day before, the morning itself, later on.
    for moment in (
        _local(2026, 11, 20, 10, 0),
        _local(2026, 12, 14, 10, 0),  # the 30-day reminder is queued for tomorrow 09:00
        _local(2026, 12, 15, 9, 5),
        _local(2026, 12, 15, 16, 0),
        _local(2027, 1, 5, 10, 0),
    ):
        await _hourly_run_and_dispatch(services, clock, gateway, moment)
    # The scheduler was down all day on 7 January: at 20:30 the 7-day reminder is queued, but
    # it is quiet time in Tacamoros, so it leaves at 07:00 the next morning.
    await _hourly_run_and_dispatch(services, clock, gateway, _local(2027, 1, 7, 20, 30))
    await _hourly_run_and_dispatch(services, clock, gateway, _local(2027, 1, 8, 7, 0))
    await _hourly_run_and_dispatch(services, clock, gateway, _local(2027, 1, 10, 9, 0))

    assert [sms.to for sms in gateway.sent] == [ROSA_PHONE, ROSA_PHONE]
    first, second = (sms.body for sms in gateway.sent)
    assert "control de salud del menor de 5" in first and "14 de enero" in first
    assert "centro de salud" in first and "BAJA" in first
    assert first == second  # the same condition, the same due date
    async with services.session_factory() as session:
        rows = list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == CONDITION_KIND)
                .order_by(OutboxMessage.id)
            )
        )
    assert [r.channel for r in rows] == ["sms", "sms"]
    sent_local = [r.sent_at.astimezone(LOJA) for r in rows if r.sent_at]
    assert [(t.date().isoformat(), t.hour) for t in sent_local] == [
        ("2026-12-15", 9),
        ("2027-01-08", 7),
    ]
    assert all(7 <= t.hour < 20 for t in sent_local)
    assert [r.dedupe_key.rsplit(":", 1)[-1] for r in rows] == ["30d", "7d"]


async def test_a_planned_home_visit_is_reminded_the_day_before_with_its_time_window_only(
    services: Services, clock: FakeClock, tmp_path: Path
) -> None:
    await _setup(services, tmp_path)
    tecnica = await make_scope(services, Role.TECHNICIAN, district_code="11D06", name="Ana")
    calvas = await make_scope(services, Role.DISTRICT, district_code="11D06")
    async with services.session_factory() as session, session.begin():
        now = clock()
        await technicians.assign(
            session, calvas, technician_id=tecnica.staff_id, parish_code=TACAMOROS, now=now
        )
        await technicians.record_consent(session, tecnica, cedula=ROSA, topic="visita", now=now)
        rosa_visit = await technicians.plan_visit(
            session,
            tecnica,
            cedula=ROSA,
            window_start=_local(2026, 11, 26, 9, 0),
            window_end=_local(2026, 11, 26, 12, 0),
            now=now,
        )
        nobody_visit = await technicians.plan_visit(  # no consent to visit reminders
            session,
            tecnica,
            cedula=NOBODY,
            window_start=_local(2026, 11, 26, 14, 0),
            window_end=_local(2026, 11, 26, 16, 0),
            now=now,
        )
        cancelled = await technicians.plan_visit(
            session,
            tecnica,
            cedula=ROSA,
            window_start=_local(2026, 11, 27, 9, 0),
            window_end=_local(2026, 11, 27, 10, 0),
            now=now,
        )
    gateway = ConsoleSmsGateway(write=lambda _line: None)
    dispatcher = Dispatcher(services.session_factory, services.settings, gateway, clock=clock)
    scheduler = NotificationScheduler(services, dispatcher)
    try:
        clock.current = _local(2026, 11, 25, 8, 0)
        await scheduler.tick()
        async with services.session_factory() as session, session.begin():
            await technicians.cancel_visit(session, tecnica, cancelled.id, now=clock())
        for hour in (9, 10):
            clock.current = _local(2026, 11, 25, hour, 0)
            await scheduler.tick()
            await dispatcher.run_until_idle()
        clock.current = _local(2026, 11, 26, 9, 0)
        await scheduler.tick()
        await dispatcher.run_until_idle()
    finally:
        await scheduler.stop()

    assert [sms.to for sms in gateway.sent] == [ROSA_PHONE]
    body = gateway.sent[0].body
    assert "26 de noviembre entre las 09:00 y las 12:00" in body
    assert "Persona" not in body and ROSA not in body  # the window only, no name, no cédula
    assert nobody_visit.id != rosa_visit.id
