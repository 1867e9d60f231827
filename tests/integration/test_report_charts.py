"""Report charts show what happened, in the staff member's territory only, as SVG and as a table."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from bot.domain.staff import Role
from bot.flows.engine import FlowEngine
from bot.i18n import Translator
from bot.services import report_charts
from bot.services.authz import PermissionDenied
from bot.services.cases import open_case
from bot.services.container import Services
from bot.services.registry_import import import_registry
from bot.storage.models import AuditEntry, Beneficiary, Canton, OutboxMessage, Parish
from bot.storage.registry_sample import sample_cedula, sample_row, write_csv
from notificaciones.outbox import enqueue
from tests.support.chat import Chat
from tests.support.staff_accounts import make_scope


async def _district_of(services: Services, parish_code: str) -> str:
    async with services.session_factory() as session:
        district = await session.scalar(
            select(Canton.district_code)
            .join(Parish, Parish.canton_code == Canton.code)
            .where(Parish.code == parish_code)
        )
    assert district is not None
    return district


async def _two_districts(services: Services, tmp_path: Path) -> tuple[str, str]:
    path = tmp_path / "registro.csv"
    write_csv(path, (sample_row(n) for n in range(2)))
    await import_registry(services.engine, path, now=services.clock())
    home = await _district_of(services, sample_row(0)["parish_code"])
    other = await _district_of(services, sample_row(1)["parish_code"])
    assert home != other
    return home, other


async def _sms(services: Services, n: int, key: str, provider_status: str | None) -> None:
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        mobile = await session.scalar(
            select(Beneficiary.mobile).where(Beneficiary.cedula == sample_cedula(n))
        )
        assert mobile is not None
        row = await enqueue(
            session,
            channel="sms",
            address=mobile,
            body="Aviso",
            kind="broadcast",
            dedupe_key=key,
            due_at=now,
            now=now,
        )
        assert row is not None
        if provider_status is not None:
            row.status, row.provider_status = "sent", provider_status


async def test_a_district_analyst_sees_only_the_messages_of_their_district(
    services: Services, tmp_path: Path
) -> None:
    home, _other = await _two_districts(services, tmp_path)
    await _sms(services, 0, "a", "delivered")
    await _sms(services, 0, "b", "undelivered")
    await _sms(services, 1, "c", "delivered")
    await _sms(services, 1, "d", None)
    analyst = await make_scope(services, Role.DISTRICT, district_code=home)
    admin = await make_scope(services, Role.ADMIN)
    now = services.clock()
    async with services.session_factory() as session:
        mine = await report_charts.messages_by_day(session, analyst, now=now)
        everyone = await report_charts.messages_by_day(session, admin, now=now)
        delivery = await report_charts.delivery_by_parish(session, analyst, now=now)

    def totals(chart: report_charts.Chart) -> dict[str, float]:
        return {s.label: sum(s.values) for s in chart.series}

    assert totals(mine) == {
        "Entregado": 1,
        "Enviado, sin confirmar entrega": 0,
        "En espera": 0,
        "No entregado": 1,
        "Retirado": 0,
    }
    assert sum(totals(everyone).values()) == 4
    assert totals(everyone)["En espera"] == 1
    assert len(delivery.categories) == 1  # the analyst's one parish with SMS
    assert delivery.series[0].values == (50.0,)


async def test_payment_lookups_are_counted_by_what_the_registry_says(
    services: Services, flow_engine: FlowEngine, tmp_path: Path
) -> None:
    await _two_districts(services, tmp_path)
    for address, birth in (("a", "01/01/1950"), ("b", "01/01/1950"), ("c", "02/02/1960")):
        chat = Chat(flow_engine, address=address)
        await chat.say("/pago")
        await chat.say(sample_cedula(0))
        await chat.say(birth)
    admin = await make_scope(services, Role.ADMIN)
    async with services.session_factory() as session:
        chart = await report_charts.lookups_by_reason(session, admin, now=services.clock())
    counted = dict(zip(chart.categories, chart.series[0].values, strict=True))
    assert counted.pop("Datos no coinciden") == 1
    assert sum(counted.values()) == 2  # both verified lookups, under the cédula's status
    status = str(sample_row(0)["status"])
    assert all(label.startswith(status) for label in counted)


async def test_cases_opened_and_closed_per_week_and_the_chart_draws(
    services: Services, tmp_path: Path
) -> None:
    home, other = await _two_districts(services, tmp_path)
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        for district in (home, home, other):
            await open_case(
                session,
                kind="excluido",
                now=now - timedelta(days=8),
                district_code=district,
                parish_code=None,
                description="Persona sin bono",
            )
    analyst = await make_scope(services, Role.DISTRICT, district_code=home)
    async with services.session_factory() as session:
        chart = await report_charts.cases_by_week(session, analyst, now=now)
    assert sum(chart.series[0].values) == 2
    tr = Translator("es")
    drawing = report_charts.svg(chart, tr)
    root = ElementTree.fromstring(drawing)
    assert root.tag.endswith("svg")
    assert "Casos abiertos y cerrados por semana" in drawing
    rows = report_charts.table(chart, tr)
    assert rows[0] == ["Semana del", "Abiertos", "Cerrados"]
    assert sum(int(r[1]) for r in rows[1:]) == 2  # type: ignore[arg-type]
    english = report_charts.svg(chart, Translator("en"))
    assert "Casos abiertos" not in english


async def test_an_empty_period_draws_a_clear_message(services: Services) -> None:
    admin = await make_scope(services, Role.ADMIN)
    async with services.session_factory() as session:
        chart = await report_charts.dialogue_answers(session, admin, now=services.clock())
        outbox = await session.scalar(select(OutboxMessage.id))
    assert outbox is None
    assert chart.empty
    assert "Sin datos en este periodo" in report_charts.svg(chart, Translator("es"))


async def test_another_districts_chart_is_refused_and_audited(
    services: Services, tmp_path: Path
) -> None:
    home, other = await _two_districts(services, tmp_path)
    analyst = await make_scope(services, Role.DISTRICT, district_code=home)
    async with services.session_factory() as session, session.begin():
        with pytest.raises(PermissionDenied):
            await report_charts.messages_by_day(
                session, analyst, now=services.clock(), district_code=other
            )
    async with services.session_factory() as session:
        denied = await session.scalar(select(AuditEntry).where(AuditEntry.action == "staff.denied"))
    assert denied is not None and denied.target == other
