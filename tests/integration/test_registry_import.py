"""Registry import: broken rows reported by line, valid rows upserted, re-import is a no-op."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.flows.engine import FlowEngine
from bot.services.container import Services
from bot.services.registry_import import (
    REGISTRY_COLUMNS,
    ImportFileError,
    ImportRolledBack,
    import_registry,
)
from bot.storage.models import Beneficiary, ImportRun
from bot.storage.registry_sample import sample_cedula, sample_row, write_csv
from tests.support.chat import Chat

# (row index, column, broken value, expected reason fragment)
BROKEN = [
    (17, "cedula", "1100000000", "verificador"),
    (503, "cedula", "99ABC", "dígitos"),
    (1200, "mobile", "072345678", "celular"),
    (2500, "parish_code", "999999", "parroquia"),
    (3100, "programme", "XYZ", "programa"),
    (4000, "status", "congelado", "estado"),
    (5000, "reason_code", "afiliacion_iess", "motivo"),
    (6500, "birth_date", "31/02/1980", "fecha"),
    (8000, "amount", "cincuenta", "monto"),
    (9999, "names", "", "obligatorio"),
]


def _rows(count: int, broken: list[tuple[int, str, str, str]]) -> Iterator[dict[str, str]]:
    bad = {index: (column, value) for index, column, value, _ in broken}
    for n in range(count):
        row = sample_row(n)
        if n in bad:
            column, value = bad[n]
            row[column] = value
            if column == "reason_code":
                row["status"] = "suspendido"
        yield row


def _read_report(path: str | None) -> list[dict[str, str]]:
    with Path(path or "").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _read_text(path: str | None) -> str:
    return Path(path or "").read_text(encoding="utf-8")


async def _count(services: Services) -> int:
    async with services.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(Beneficiary)) or 0)


async def test_ten_broken_rows_among_ten_thousand_are_reported_and_the_rest_imported(
    services: Services, tmp_path: Path
) -> None:
    path = tmp_path / "registro.csv"
    write_csv(path, _rows(10_000, BROKEN))

    summary = await import_registry(services.engine, path, now=services.clock(), batch_rows=1500)

    assert summary.rows_read == 10_000
    assert summary.rows_failed == 10
    assert summary.rows_changed == 9_990
    assert await _count(services) == 9_990
    report = _read_report(summary.errors_path)
    assert [int(r["linea"]) for r in report] == [index + 2 for index, *_ in BROKEN]
    for row, (_, column, _, fragment) in zip(report, BROKEN, strict=True):
        assert row["columna"] == column
        assert fragment in row["motivo"]
    saved = json.loads(_read_text(summary.summary_path))
    assert saved["rows_failed"] == 10

    again = await import_registry(services.engine, path, now=services.clock(), batch_rows=1500)
    assert again.rows_changed == 0
    assert again.rows_failed == 10
    assert await _count(services) == 9_990
    async with services.session_factory() as session:
        runs = list(await session.scalars(select(ImportRun).order_by(ImportRun.id)))
    assert [(r.status, r.rows_changed) for r in runs] == [("done", 9_990), ("done", 0)]


async def test_a_registry_that_suspends_someone_updates_only_that_row(
    services: Services, tmp_path: Path
) -> None:
    path = tmp_path / "octubre.csv"
    write_csv(path, (sample_row(n) for n in range(6)))
    await import_registry(services.engine, path, now=services.clock())
    assert sample_row(0)["status"] == "activo"

    november = [sample_row(n) for n in range(6)]
    november[0] = {**november[0], "status": "suspendido", "reason_code": "corresp_asistencia"}
    path2 = tmp_path / "noviembre.csv"
    write_csv(path2, iter(november))
    summary = await import_registry(services.engine, path2, now=services.clock())

    assert summary.rows_changed == 1
    async with services.session_factory() as session:
        person = await session.scalar(
            select(Beneficiary).where(Beneficiary.cedula == sample_cedula(0))
        )
    assert person is not None
    assert (person.status, person.reason_code) == ("suspendido", "corresp_asistencia")


async def test_dry_run_validates_without_writing(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "registro.csv"
    write_csv(path, _rows(50, [(3, "mobile", "12", "celular")]))

    summary = await import_registry(services.engine, path, now=services.clock(), dry_run=True)

    assert (summary.rows_valid, summary.rows_failed, summary.rows_changed) == (49, 1, 0)
    assert await _count(services) == 0


async def test_a_file_without_required_columns_is_refused_before_touching_the_database(
    services: Services, tmp_path: Path
) -> None:
    path = tmp_path / "mal.csv"
    path.write_text("cedula;nombre\n1100000019;Ana\n", encoding="utf-8")

    with pytest.raises(ImportFileError, match="names"):
        await import_registry(services.engine, path, now=services.clock())
    assert await _count(services) == 0


async def test_a_failure_midway_rolls_back_every_batch(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "registro.csv"
    write_csv(path, (sample_row(n) for n in range(3_000)))
    import bot.services.registry_import as module

    real = module._upsert
    calls = 0

    async def failing(conn, rows, now):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("disk full")
        return await real(conn, rows, now)

    monkeypatch.setattr(module, "_upsert", failing)
    with pytest.raises(ImportRolledBack) as raised:
        await import_registry(services.engine, path, now=services.clock(), batch_rows=1000)

    assert raised.value.line == 3_001
    assert await _count(services) == 0
    async with services.session_factory() as session:
        run = await session.scalar(select(ImportRun))
    assert run is not None and run.status == "rolled_back"


def test_the_documented_schema_lists_every_column() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "registry-csv.md").read_text(encoding="utf-8")
    for column in REGISTRY_COLUMNS:
        assert f"`{column}`" in doc


async def _ask_payment(engine: FlowEngine, address: str) -> str:
    chat = Chat(engine, address=address)
    await chat.say("/pago")
    await chat.say(sample_cedula(0))
    await chat.say("01/01/1950")  # sample_row(0)'s birth date
    return chat.text


async def test_a_registry_that_suspends_someone_changes_what_the_payment_flow_tells_them(
    services: Services, flow_engine: FlowEngine, tmp_path: Path
) -> None:
    october = tmp_path / "octubre.csv"
    write_csv(october, (sample_row(n) for n in range(3)))
    await import_registry(services.engine, october, now=services.clock())
    before = await _ask_payment(flow_engine, "antes")
    assert "Su pago está activo." in before

    rows = [sample_row(n) for n in range(3)]
    rows[0] = {**rows[0], "status": "suspendido", "reason_code": "corresp_matricula"}
    november = tmp_path / "noviembre.csv"
    write_csv(november, iter(rows))
    await import_registry(services.engine, november, now=services.clock())
    after = await _ask_payment(flow_engine, "despues")
    assert "suspendido por corresponsabilidad" in after
    assert "matrícula escolar" in after
    assert "Su pago está activo." not in after
