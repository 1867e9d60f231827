"""A generated beneficiary registry of any size, on SQLite (cached file) or PostgreSQL (throwaway).

Row `i` is deterministic, so a simulated citizen knows a real cédula and its second factor
without reading the database: `identity(i)`.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text

from bench.harness.report import emit
from bot.domain.identity import complete_cedula
from bot.domain.registry import REASON_CODES, REGISTRY_COLUMNS, PaymentStatus
from bot.storage.db import create_engine, create_session_factory
from bot.storage.migrate import alembic_config, upgrade
from bot.storage.reference_data import load_reference_data

OUT = Path(os.environ.get("BENCH_OUT") or Path(__file__).resolve().parent.parent / "out")
COLUMNS = (*REGISTRY_COLUMNS, "row_hash", "updated_at")
BATCH = 20_000
UPDATED_AT = datetime(2026, 11, 1, 12, 0)  # naive UTC, as UtcDateTime stores it
# Mostly active; every other status and reason appears.
STATUS_CYCLE: tuple[tuple[str, str | None], ...] = (
    *((PaymentStatus.ACTIVE.value, None),) * 12,
    *(
        (status.value, reason)
        for status, reasons in REASON_CODES.items()
        for reason in reasons
        if status is not PaymentStatus.ACTIVE
    ),
)
PROGRAMMES = (("BDH", "55.00"), ("BDHV", "104.00"), ("MMA", "100.00"), ("PAM", "50.00"))


@dataclass(frozen=True)
class Identity:
    """What a simulated citizen types to prove who they are."""

    cedula: str
    birth_date: date
    fingerprint_code: str


def identity(i: int) -> Identity:
    """The identity of registry row `i` (0-based)."""
    cedula = complete_cedula(f"17{i:07d}")
    birth = date(1940, 1, 1) + timedelta(days=(i * 7919) % 27_000)
    fingerprint = f"V{(i * 31) % 10_000:04d}V{(i * 17) % 10_000:04d}"
    return Identity(cedula, birth, fingerprint)


def rows(count: int, parishes: list[str]) -> Iterator[tuple[object, ...]]:
    """Yields `count` registry rows in `COLUMNS` order (Python types)."""
    for i in range(count):
        person = identity(i)
        status, reason = STATUS_CYCLE[i % len(STATUS_CYCLE)]
        programme, amount = PROGRAMMES[i % len(PROGRAMMES)]
        last = date(2026, 10, 1 + i % 28)
        yield (
            person.cedula,
            f"Persona Ficticia {i}",
            person.birth_date,
            person.fingerprint_code,
            None if i % 3 else f"+5939{i % 100_000_000:08d}",
            parishes[i % len(parishes)],
            programme,
            status,
            reason,
            Decimal(amount),
            last,
            last + timedelta(days=30) if status == "activo" else None,
            "BanEcuador",
            None,  # children_birth_dates
            None,  # pending_conditions
            hashlib.sha1(f"{i}|{status}".encode(), usedforsecurity=False).hexdigest(),
            UPDATED_AT,
        )


def schema_head() -> str:
    """The Alembic head(s) of the code: a cached database is reused only for the same schema."""
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    return "-".join(sorted(heads))


async def _load_reference(url: str) -> list[str]:
    engine = create_engine(url)
    async with create_session_factory(engine)() as session, session.begin():
        await load_reference_data(session)
        parishes = list(await session.scalars(text("SELECT code FROM parishes ORDER BY code")))
    await engine.dispose()
    return [str(p) for p in parishes]


def sqlite_registry(count: int) -> Path:
    """The path of a migrated SQLite database holding `count` rows (built once, then cached)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"registry-{count}-{schema_head()}.db"
    if path.exists():
        return path
    building = path.with_suffix(".building")
    for leftover in OUT.glob(building.name + "*"):
        leftover.unlink()
    url = f"sqlite+aiosqlite:///{building}"
    upgrade(url)
    parishes = asyncio.run(_load_reference(url))
    conn = sqlite3.connect(building)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    placeholders = ", ".join("?" for _ in COLUMNS)
    sql = f"INSERT INTO beneficiaries ({', '.join(COLUMNS)}) VALUES ({placeholders})"
    batch: list[tuple[object, ...]] = []
    for row in rows(count, parishes):
        batch.append(_sqlite_row(row))
        if len(batch) >= BATCH:
            conn.executemany(sql, batch)
            batch.clear()
    if batch:
        conn.executemany(sql, batch)
    conn.commit()
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("ANALYZE")
    conn.close()
    building.rename(path)
    return path


def _sqlite_row(row: tuple[object, ...]) -> tuple[object, ...]:
    # SQLAlchemy's SQLite dialect stores dates, datetimes and decimals as their text form.
    return tuple(str(v) if isinstance(v, Decimal | date) else v for v in row)


def sqlite_copy(count: int, target: Path) -> str:
    """Copies the cached registry to `target` (a run writes conversations); returns its URL."""
    source = sqlite_registry(count)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return f"sqlite+aiosqlite:///{target}"


async def postgres_registry(admin_url: str, name: str, count: int) -> str:
    """Creates the throwaway database `name` holding `count` rows; returns its URL.

    The rows are COPied once into a template database (kept, like the cached SQLite file, while
    the schema is unchanged); every run then gets a fast `CREATE DATABASE ... TEMPLATE` copy.
    """
    import asyncpg  # only needed for PostgreSQL runs

    dsn = admin_url.replace("postgresql+asyncpg://", "postgresql://")
    template = f"mies_bench_tpl_{count}_{schema_head()}"[:63]
    admin = await asyncpg.connect(dsn)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", template)
        if not exists:
            await admin.execute(f'DROP DATABASE IF EXISTS "{template}_building"')
            await admin.execute(f'CREATE DATABASE "{template}_building"')
            await _fill_postgres(_database_url(admin_url, f"{template}_building"), count)
            await admin.execute(f'ALTER DATABASE "{template}_building" RENAME TO "{template}"')
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    return _database_url(admin_url, name)


def _database_url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + "/" + name


async def _fill_postgres(url: str, count: int) -> None:
    """Migrates the database at `url` and COPYs `count` generated rows into it."""
    import asyncpg

    await asyncio.to_thread(upgrade, url)
    parishes = await _load_reference(url)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        batch: list[tuple[object, ...]] = []
        for row in rows(count, parishes):
            batch.append(row)
            if len(batch) >= BATCH:
                await conn.copy_records_to_table("beneficiaries", records=batch, columns=COLUMNS)
                batch.clear()
        if batch:
            await conn.copy_records_to_table("beneficiaries", records=batch, columns=COLUMNS)
        await conn.execute("ANALYZE beneficiaries")
    finally:
        await conn.close()


async def drop_postgres(admin_url: str, name: str) -> None:
    """Drops the throwaway database (after every connection to it is closed)."""
    import asyncpg

    admin = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def on_each_database(
    bench: str,
    rows: int,
    databases: tuple[str, ...],
    measure: Callable[[str, str], Awaitable[None]],
    admin_url: str,
) -> None:
    """Runs `measure(name, url)` on a copy of the registry in each of `databases`.

    SQLite: a copy of the cached file in a temporary folder; PostgreSQL: a throwaway database on
    `admin_url` (dropped afterwards; without a server, a `skipped` line and nothing else).
    """
    if "sqlite" in databases:
        await asyncio.to_thread(sqlite_registry, rows)
        with tempfile.TemporaryDirectory(prefix="mies-bench-") as workdir:
            await measure("sqlite", sqlite_copy(rows, Path(workdir) / f"{bench}.db"))
    if "postgres" in databases:
        name = f"mies_bench_{bench}_{os.getpid()}"
        try:
            url = await postgres_registry(admin_url, name, rows)
        except Exception as error:  # no server: say so and go on
            emit(f"{bench}/postgres", "skipped", 0, type(error).__name__)
            return
        try:
            await measure("postgres", url)
        finally:
            await drop_postgres(admin_url, name)
