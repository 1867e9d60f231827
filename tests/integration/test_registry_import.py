"""Registry import: broken rows reported by line, valid rows upserted, re-import is a no-op."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.flows.engine import FlowEngine
from bot.services.container import Services
from bot.services.registry_copy import BatchMerger
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
        await import_registry(services.engine, path, now=services.clock(), delimiter=";")
    with pytest.raises(ImportFileError, match="--delimiter ';'"):
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
    # PostgreSQL's path COPies and merges each batch (registry_copy.py): it fails the same way.
    real_submit = BatchMerger.submit

    async def failing_submit(merger, rows, now):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("disk full")
        return await real_submit(merger, rows, now)

    monkeypatch.setattr(BatchMerger, "submit", failing_submit)
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


def _line(row: dict[str, str], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerow(
        [row[c] for c in REGISTRY_COLUMNS]
    )
    return buffer.getvalue()


async def test_each_broken_line_is_reported_with_its_real_number_and_the_rest_imported(
    services: Services, tmp_path: Path
) -> None:
    rows = [sample_row(n) for n in range(3_000)]
    lines = [_line(r).encode() for r in rows]
    rosa = {**sample_row(5_000), "names": 'Rosa "La Negra" Cumbicus'}
    future = {**sample_row(5_001), "birth_date": "2031-01-01"}
    duplicate = {**sample_row(10), "status": "suspendido", "reason_code": "corresp_matricula"}
    stray = _line(rows[100]).replace("Persona", '"Persona', 1)  # a quote opened, never closed
    after_quote = _line(rows[700]).replace("Persona Ficticia 700", '"Persona" Ficticia 700')
    short = ",".join(_line(rows[900]).split(",")[:5]) + "\n"
    latin1 = _line(rows[1_200]).replace("Persona", "Peña").encode("latin-1")
    lines[100], lines[700], lines[900], lines[1_200] = (
        stray.encode(),
        after_quote.encode(),
        short.encode(),
        latin1,
    )
    lines[400:400] = [_line(rosa).encode(), b"\n"]  # a doubled-quote name, then a blank line
    lines.insert(1_500, _line(future).encode())
    lines.insert(2_600, _line(duplicate).encode())  # repeats row 10, in another batch
    header = ",".join(REGISTRY_COLUMNS).encode() + b"\r\n"
    path = tmp_path / "registro.csv"
    path.write_bytes(header + b"".join(lines))
    physical = {line: n for n, line in enumerate(lines, start=2)}
    expected = [
        (physical[stray.encode()], "-", "comillas"),
        (physical[after_quote.encode()], "-", "comillas"),
        (physical[short.encode()], "-", "menos columnas"),
        (physical[latin1], "-", "UTF-8"),
        (physical[_line(future).encode()], "birth_date", "futuro"),
        (physical[_line(duplicate).encode()], "cedula", "repetidos"),
    ]

    summary = await import_registry(services.engine, path, now=services.clock(), batch_rows=1_000)

    report = _read_report(summary.errors_path)
    assert [(int(r["linea"]), r["columna"]) for r in report] == [(n, c) for n, c, _ in expected]
    for row, (_, _, fragment) in zip(report, expected, strict=True):
        assert fragment in row["motivo"]
    # The rows right after the stray quote were not swallowed.
    imported = 3_000 - 4 + 1  # four broken originals out, Rosa in
    assert (summary.rows_failed, summary.rows_changed) == (6, imported)
    assert await _count(services) == imported
    async with services.session_factory() as session:
        names = set(
            await session.scalars(
                select(Beneficiary.names).where(
                    Beneficiary.cedula.in_([sample_cedula(n) for n in (101, 102, 103, 5_000)])
                )
            )
        )
        kept = await session.scalar(
            select(Beneficiary.status).where(Beneficiary.cedula == sample_cedula(10))
        )
    assert names == {f"Persona Ficticia {n}" for n in (101, 102, 103)} | {rosa["names"]}
    assert kept == sample_row(10)["status"]  # the first row of a repeated key wins

    again = await import_registry(services.engine, path, now=services.clock(), batch_rows=1_000)
    assert (again.rows_changed, again.rows_failed) == (0, 6)
    assert [int(r["linea"]) for r in _read_report(again.errors_path)] == [n for n, *_ in expected]


async def test_a_file_without_the_optional_columns_imports_with_semicolons_when_asked(
    services: Services, tmp_path: Path
) -> None:
    path = tmp_path / "minimo.csv"
    path.write_text(
        "CEDULA;Names;programme;status\n"
        f"{sample_cedula(0)};Ana María Cumbicus;BDH;activo\n"
        f'{sample_cedula(1)};"Rosa ""La Negra"" Cumbicus";MMA;activo\n',
        encoding="utf-8-sig",
    )

    summary = await import_registry(services.engine, path, now=services.clock(), delimiter=";")

    assert (summary.rows_changed, summary.rows_failed) == (2, 0)
    async with services.session_factory() as session:
        people = list(await session.scalars(select(Beneficiary).order_by(Beneficiary.cedula)))
    assert [(p.names, p.birth_date, p.mobile) for p in people] == [
        ("Ana María Cumbicus", None, None),
        ('Rosa "La Negra" Cumbicus', None, None),
    ]
