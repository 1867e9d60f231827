"""On PostgreSQL the registry import COPies then merges: the rows, counts and report of SQLite.

The same files (broken rows, a repeated cédula, then a month later with changed statuses, then
the same file again) are imported on the test's PostgreSQL database and on a fresh SQLite one;
the beneficiaries, the summaries and the error reports must be identical.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.services.container import Services
from bot.services.registry_import import import_registry
from bot.storage.db import create_engine
from bot.storage.migrate import upgrade
from bot.storage.models import Beneficiary
from bot.storage.registry_sample import sample_row, write_csv
from tests.integration.test_registry_import import BROKEN, _read_text, _rows
from tests.support.database import _load_reference

SUMMARY_FIELDS = ("rows_read", "rows_valid", "rows_changed", "rows_failed", "first_errors")


def _month(path: Path, count: int, shift: int) -> Path:
    def rows() -> Any:
        for n, row in enumerate(_rows(count, BROKEN)):
            if shift and n % 3 == 0:
                row.update(sample_row(n, status_shift=shift))
            yield row
        yield sample_row(10)  # a cédula + programme repeated in the file: reported, first kept

    write_csv(path, rows())
    return path


async def _snapshot(engine: Any) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        result = await conn.execute(
            select(
                *(getattr(Beneficiary, c) for c in ("cedula", "programme", "names", "birth_date")),
                Beneficiary.fingerprint_code,
                Beneficiary.mobile,
                Beneficiary.parish_code,
                Beneficiary.status,
                Beneficiary.reason_code,
                Beneficiary.amount,
                Beneficiary.last_payment_date,
                Beneficiary.next_payment_date,
                Beneficiary.collection_point,
                Beneficiary.row_hash,
                Beneficiary.updated_at,
            ).order_by(Beneficiary.cedula, Beneficiary.programme)
        )
        return [tuple(row) for row in result.all()]


async def test_copy_on_postgresql_gives_the_sqlite_rows_counts_and_report(
    services: Services, tmp_path: Path
) -> None:
    if services.engine.dialect.name != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's; run with TEST_DATABASE_URL")
    sqlite_url = f"sqlite+aiosqlite:///{tmp_path / 'sqlite.db'}"
    await asyncio.to_thread(upgrade, sqlite_url)
    await _load_reference(sqlite_url)
    sqlite = create_engine(sqlite_url)
    months = [(0, services.clock()), (2, services.clock()), (2, services.clock())]
    try:
        for index, (shift, now) in enumerate(months):
            summaries, reports = [], []
            for name, engine in (("pg", services.engine), ("sqlite", sqlite)):
                path = _month(tmp_path / f"{name}-{index}.csv", 3000, shift)
                summary = await import_registry(engine, path, now=now, batch_rows=700)
                summaries.append({f: getattr(summary, f) for f in SUMMARY_FIELDS})
                reports.append(_read_text(summary.errors_path))
            assert summaries[0] == summaries[1], index
            assert reports[0] == reports[1], index
            assert await _snapshot(services.engine) == await _snapshot(sqlite), index
        assert summaries[0]["rows_changed"] == 0  # the same file twice changes nothing
        assert (
            summaries[0]["rows_failed"] == 4
        )  # rows 17, 503, 2500 (1200 was fixed) and the repeat
    finally:
        await sqlite.dispose()


async def test_copy_text_keeps_backslashes_tabs_and_accents_as_sqlite_does(
    services: Services, tmp_path: Path
) -> None:
    if services.engine.dialect.name != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's; run with TEST_DATABASE_URL")
    odd = [
        {**sample_row(1), "names": "Rosa \\N Cumbicus"},  # COPY's own NULL marker, as text
        {**sample_row(2), "collection_point": "Caja\t2 \\ BanEcuador", "names": "Peña"},
        {**sample_row(3), "collection_point": '"Coop, ""La Merced"""', "amount": "55,5"},
        {**sample_row(4), "children_birth_dates": "2021-12-20;2015-03-01"},
        {**sample_row(5), "pending_conditions": "MATRICULA;control_menor5:2027-01-15"},
        {**sample_row(6), "reason_code": "", "mobile": "", "birth_date": "01/02/1990"},
    ]
    path = tmp_path / "raros.csv"
    write_csv(path, iter(odd))
    sqlite_url = f"sqlite+aiosqlite:///{tmp_path / 'sqlite.db'}"
    await asyncio.to_thread(upgrade, sqlite_url)
    await _load_reference(sqlite_url)
    sqlite = create_engine(sqlite_url)
    now = services.clock()
    try:
        stored = []
        for engine in (services.engine, sqlite):
            summary = await import_registry(engine, path, now=now)
            assert (summary.rows_changed, summary.rows_failed) == (len(odd), 0)
            async with engine.connect() as conn:
                result = await conn.execute(
                    select(Beneficiary.__table__).order_by(Beneficiary.cedula)
                )
                stored.append([row[1:] for row in result.all()])  # all but the id
        assert stored[0] == stored[1]
        names = [row[1] for row in stored[0]]
        assert "Rosa \\N Cumbicus" in names and "Peña" in names
        assert "Caja\t2 \\ BanEcuador" in [row[12] for row in stored[0]]
    finally:
        await sqlite.dispose()
