"""Corresponsabilidad reminder materialisation: households with a pending condition, queued once.

Run alone: `python -m bench.condition_reminders [--n 1000000]` (default 100,000; BENCH_QUICK=1:
10,000). Every household has consented to SMS reminders and has an under-5 check-up due in 31
days, so the scheduler's hourly run (`materialise_condition_reminders`, the job's own code) finds
one reminder per household to queue. Printed: the first run (rows queued, rows/s, wall and CPU
time), a second run (idempotent: nothing added, the cost of a run with nothing new), and the
process's peak RSS growth. SQLite, generated with `sqlite3` directly for speed.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sqlite3
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select

from bench.harness.report import emit, quick_mode
from bot.config import Settings
from bot.domain.identity import complete_cedula
from bot.storage.db import create_engine, create_session_factory
from bot.storage.migrate import upgrade
from bot.storage.models import OutboxMessage
from bot.storage.reference_data import load_reference_data
from notificaciones.condition_reminders import materialise_condition_reminders

NOW = datetime(2026, 12, 14, 15, 0, tzinfo=UTC)  # 10:00 in Loja, the day before the reminder
DUE = date(2027, 1, 14)  # 30 days after 2026-12-15: the 30-day reminder leaves tomorrow 09:00
BATCH = 20_000


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _reference(url: str) -> None:
    engine = create_engine(url)
    async with create_session_factory(engine)() as session, session.begin():
        await load_reference_data(session)
    await engine.dispose()


def _fill(path: Path, n: int) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    parishes = [row[0] for row in conn.execute("SELECT code FROM parishes ORDER BY code")]
    updated = "2026-12-01 00:00:00.000000"
    people, consents = [], []
    for i in range(n):
        cedula = complete_cedula(f"17{i:07d}")
        phone = f"+5939{i % 100_000_000:08d}"
        people.append(
            (cedula, f"Persona {i}", phone, parishes[i % len(parishes)], "BDHV", "activo",
             "2022-01-15", f"control_menor5:{DUE.isoformat()}", "x", updated)
        )  # fmt: skip
        consents.append((cedula, "corresponsabilidad", "sms", phone, updated))
        if len(people) >= BATCH or i == n - 1:
            conn.executemany(
                "INSERT INTO beneficiaries (cedula, names, mobile, parish_code, programme, status,"
                " children_birth_dates, pending_conditions, row_hash, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                people,
            )
            conn.executemany(
                "INSERT INTO reminder_consents (cedula, topic, channel, address, consent_at)"
                " VALUES (?, ?, ?, ?, ?)",
                consents,
            )
            people.clear()
            consents.clear()
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


async def _run(url: str, n: int) -> None:
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    engine = create_engine(url)
    factory = create_session_factory(engine)
    name = f"condition_reminders/sqlite-{n}"
    before = _rss_mb()
    for attempt in ("first", "again"):
        started, cpu = time.perf_counter(), time.process_time()
        async with factory() as session, session.begin():
            added = await materialise_condition_reminders(session, settings, NOW)
        wall, used = time.perf_counter() - started, time.process_time() - cpu
        emit(f"{name}/{attempt}", "rows_queued", added, "rows")
        emit(f"{name}/{attempt}", "wall", wall, "s")
        emit(f"{name}/{attempt}", "cpu", used, "s")
        emit(f"{name}/{attempt}", "rows_per_s", n / wall if wall else 0.0, "households/s")
    async with factory() as session:
        total = await session.scalar(select(func.count(OutboxMessage.id)))
    emit(name, "outbox_rows", int(total or 0), "rows")
    emit(name, "peak_rss_growth", _rss_mb() - before, "MB")
    await engine.dispose()


def main() -> None:
    """Builds the households and times the job."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000 if quick_mode() else 100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reminders.db"
        url = f"sqlite+aiosqlite:///{path}"
        upgrade(url)
        asyncio.run(_reference(url))
        started = time.perf_counter()
        _fill(path, args.n)
        emit(f"condition_reminders/sqlite-{args.n}", "fill", time.perf_counter() - started, "s")
        asyncio.run(_run(url, args.n))


if __name__ == "__main__":
    main()
