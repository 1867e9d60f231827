"""Delivery report and audit log exports: masked, formula-safe, authorised and audited."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.domain.staff import Role
from bot.services.audit import record, session_pseudonym
from bot.services.authz import PermissionDenied
from bot.services.container import Services
from bot.services.exports import Period, export_audit, export_delivery, mask_address
from bot.services.verification import ACTION as PAYMENT_LOOKUP
from bot.storage.models import AuditEntry, OutboxMessage
from notificaciones.outbox import enqueue
from tests.support.staff_accounts import make_scope

INJECTION = '=HYPERLINK("http://evil.example","clic")'


async def _messages(services: Services) -> None:
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        for n, (channel, address) in enumerate(
            [("sms", "+593991234567"), ("telegram", "987654321"), ("sms", "+593997654321")]
        ):
            await enqueue(
                session,
                channel=channel,
                address=address,
                body="Aviso",
                kind="broadcast",
                dedupe_key=f"test:{n}",
                due_at=now,
                now=now - timedelta(days=n * 10),
            )
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        rows[0].status, rows[0].provider_status, rows[0].attempts = "sent", "delivered", 1
        rows[2].status, rows[2].last_error, rows[2].attempts = "failed", INJECTION, 3
        await record(
            session,
            at=now,
            actor_kind="staff",
            actor="staff:1",
            action="case_status",
            target="11D06-2026-00001",
            outcome="-cmd|' /C calc'!A0",
        )


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_addresses_are_masked() -> None:
    assert mask_address("+593991234567") == "+5939****567"
    assert mask_address("987654321") == "****321"
    assert mask_address("12") == "****"


async def test_delivery_report_as_csv_is_masked_and_formula_safe(
    services: Services, tmp_path: Path
) -> None:
    await _messages(services)
    auditor = await make_scope(services, Role.AUDITOR)
    path = tmp_path / "entregas.csv"
    async with services.session_factory() as session, session.begin():
        count = await export_delivery(session, auditor, path, "csv", now=services.clock())
    assert count == 3
    table = _csv(path)
    assert table[0][:4] == ["id", "creado_utc", "canal", "destino"]
    by_address = {row[3]: row for row in table[1:]}
    assert set(by_address) == {"'+5939****567", "****321", "'+5939****321"}
    sent = by_address["'+5939****567"]
    assert sent[6:10] == ["sent", "delivered", "1", "1"]
    failed = by_address["'+5939****321"]
    assert failed[6] == "failed" and failed[11] == "'" + INJECTION
    assert "991234567" not in path.read_text(encoding="utf-8-sig")


async def test_full_contacts_are_for_administrators_only(
    services: Services, tmp_path: Path
) -> None:
    await _messages(services)
    auditor = await make_scope(services, Role.AUDITOR)
    admin = await make_scope(services, Role.ADMIN)
    analyst = await make_scope(services, Role.DISTRICT, district_code="11D06")
    path = tmp_path / "e.xlsx"
    async with services.session_factory() as session, session.begin():
        with pytest.raises(PermissionDenied):
            await export_delivery(session, auditor, path, "xlsx", now=services.clock(), full=True)
        with pytest.raises(PermissionDenied):
            await export_delivery(session, analyst, path, "xlsx", now=services.clock())
    async with services.session_factory() as session, session.begin():
        await export_delivery(session, admin, path, "xlsx", now=services.clock(), full=True)
    sheet = load_workbook(path).active
    assert sheet is not None
    values = {row[3] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values == {"+593991234567", "987654321", "+593997654321"}
    error_cell = next(c for c in sheet["L"] if c.value == INJECTION)
    assert error_cell.data_type == "s" and error_cell.quotePrefix
    async with services.session_factory() as session:
        actions = [
            (e.action, e.outcome, e.detail.get("action"))
            for e in await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]
    assert ("staff.denied", "role", "exportar_contactos_completos") in actions
    assert ("staff.denied", "role", "exportar_reportes") in actions
    assert ("export.delivery", "ok", None) in actions


async def test_delivery_report_filters_by_period(services: Services, tmp_path: Path) -> None:
    await _messages(services)
    admin = await make_scope(services, Role.ADMIN)
    now = services.clock()
    path = tmp_path / "recent.csv"
    async with services.session_factory() as session, session.begin():
        count = await export_delivery(
            session, admin, path, "csv", now=now, period=Period(since=now - timedelta(days=5))
        )
    assert count == 1 and len(_csv(path)) == 2


async def test_audit_log_export_is_formula_safe_in_both_formats(
    services: Services, tmp_path: Path
) -> None:
    await _messages(services)
    auditor = await make_scope(services, Role.AUDITOR)
    async with services.session_factory() as session, session.begin():
        count = await export_audit(
            session, auditor, tmp_path / "a.csv", "csv", now=services.clock(), action="case"
        )
        await export_audit(session, auditor, tmp_path / "a.xlsx", "xlsx", now=services.clock())
    assert count == 1
    row = _csv(tmp_path / "a.csv")[1]
    assert row[4] == "case_status" and row[6] == "'-cmd|' /C calc'!A0"
    sheet = load_workbook(tmp_path / "a.xlsx").active
    assert sheet is not None
    outcome = next(c for c in sheet["G"] if c.value == "-cmd|' /C calc'!A0")
    assert outcome.data_type == "s" and outcome.quotePrefix


async def test_delivery_report_as_xlsx_holds_numbers_and_times_as_typed_cells(
    services: Services, tmp_path: Path
) -> None:
    await _messages(services)
    admin = await make_scope(services, Role.ADMIN)
    path = tmp_path / "e.xlsx"
    async with services.session_factory() as session, session.begin():
        await export_delivery(session, admin, path, "xlsx", now=services.clock())
    sheet = load_workbook(path).active
    assert sheet is not None
    first = next(sheet.iter_rows(min_row=2))
    message_id, created, attempts, segments = first[0], first[1], first[8], first[9]
    assert (message_id.value, attempts.value, segments.value) == (1, 1, 1)
    assert message_id.data_type == attempts.data_type == "n"
    assert created.is_date
    assert created.value == services.clock().replace(tzinfo=None)  # stored as UTC wall time


async def _lookups(services: Services) -> None:
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        for outcome, detail in [
            ("match", {"factor": "birth_date"}),
            ("no_match", {"factor": "birth_date", "known_cedula": True}),
            ("no_match", {"factor": "birth_date", "known_cedula": False}),
            ("locked", {"factor": "birth_date"}),
        ]:
            await record(
                session,
                at=now,
                actor_kind="citizen",
                actor="telegram:555",
                action=PAYMENT_LOOKUP,
                target=session_pseudonym(session, "1100000019"),
                outcome=outcome,
                detail=detail,
            )


async def test_an_auditor_export_does_not_say_whether_a_cedula_is_in_the_registry(
    services: Services, tmp_path: Path
) -> None:
    await _lookups(services)
    auditor = await make_scope(services, Role.AUDITOR)
    admin = await make_scope(services, Role.ADMIN)
    async with services.session_factory() as session, session.begin():
        for scope, name in ((auditor, "auditor"), (admin, "admin")):
            for fmt in ("csv", "xlsx"):
                await export_audit(
                    session, scope, tmp_path / f"{name}.{fmt}", fmt, now=services.clock(),
                    action=PAYMENT_LOOKUP,
                )  # fmt: skip

    def rows(name: str, fmt: str) -> list[tuple[str, str]]:
        if fmt == "csv":
            table = _csv(tmp_path / f"{name}.csv")[1:]
        else:
            sheet = load_workbook(tmp_path / f"{name}.xlsx").active
            assert sheet is not None
            table = [[str(v) for v in r] for r in sheet.iter_rows(min_row=2, values_only=True)]
        return [(row[6], row[7]) for row in table]

    coarse = [("consulta", '{"factor": "birth_date"}')] * 3 + [
        ("locked", '{"factor": "birth_date"}')
    ]
    for fmt in ("csv", "xlsx"):
        assert rows("auditor", fmt) == coarse
        assert [outcome for outcome, _ in rows("admin", fmt)] == [
            "match", "no_match", "no_match", "locked"
        ]  # fmt: skip
        assert "known_cedula" in rows("admin", fmt)[1][1]
