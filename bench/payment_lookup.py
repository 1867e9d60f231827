"""Payment-status lookup time does not grow with the registry: 1,000 vs 1,000,000 rows.

    python -m bench.payment_lookup           # SQLite and PostgreSQL, 1k vs 1M rows
    BENCH_QUICK=1 python -m bench.payment_lookup   # SQLite only, 1k vs 20k rows

Each lookup is the product's own `bot.services.verification.verify` (lock rows, indexed cédula
query, second-factor check, audit row) in its own transaction, as the payment-status flow runs it.
Lookups on the small and the large registry are interleaved in blocks so that load from other
processes on the machine hits both alike.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import registry
from bench.harness.report import emit, postgres_admin_url, quick_mode, verdict
from bot.config import Settings
from bot.domain.identity import parse_cedula
from bot.domain.second_factor import SecondFactor
from bot.runtime.composition import audited_session_factory
from bot.services.verification import Verified, verify
from bot.storage.db import SessionFactory, create_engine

SMALL = 1_000
BENCH_KEY = "bench-only-audit-pseudonym-key"
BLOCK = 50


async def _lookups(
    factory: SessionFactory, settings: Settings, rows: int, count: int
) -> list[float]:
    """Times `count` verified lookups of random existing beneficiaries; returns µs per lookup."""
    timings = []
    rng = random.Random(rows)
    now = datetime.now(UTC)
    for n in range(count):
        person = registry.identity(rng.randrange(rows))
        cedula = parse_cedula(person.cedula)
        factor = SecondFactor(birth_date=person.birth_date)
        started = time.perf_counter()
        async with factory() as session, session.begin():
            result = await verify(
                session,
                settings,
                channel="bench",
                address=f"lookup-{n}",
                cedula=cedula,
                factor=factor,
                now=now,
            )
        timings.append(1e6 * (time.perf_counter() - started))
        if not isinstance(result, Verified):
            raise RuntimeError("a generated beneficiary was not found")
    return timings


async def compare(name: str, small_url: str, large_url: str, large: int, lookups: int) -> None:
    """Interleaves lookups on both registries and prints their times and ratio."""
    engines = {SMALL: create_engine(small_url), large: create_engine(large_url)}
    settings = {
        rows: Settings(  # type: ignore[call-arg]
            _env_file=None, database_url=url, audit_pseudonym_key=BENCH_KEY
        )
        for rows, url in ((SMALL, small_url), (large, large_url))
    }
    factories = {
        rows: audited_session_factory(engine, settings[rows]) for rows, engine in engines.items()
    }
    timings: dict[int, list[float]] = {SMALL: [], large: []}
    try:
        for rows in (SMALL, large):  # warm-up: connections, statement caches
            await _lookups(factories[rows], settings[rows], rows, 20)
        for _ in range(lookups // BLOCK):
            for rows in (SMALL, large):
                timings[rows] += await _lookups(factories[rows], settings[rows], rows, BLOCK)
    finally:
        for engine in engines.values():
            await engine.dispose()
    medians = {}
    for rows, values in timings.items():
        values.sort()
        medians[rows] = statistics.median(values)
        run = f"payment_lookup/{name}/rows-{rows}"
        emit(run, "lookup_p50", medians[rows], "µs")
        emit(run, "lookup_p99", values[int(0.99 * (len(values) - 1))], "µs")
        emit(run, "lookups", len(values), "lookups")
    ratio = medians[large] / medians[SMALL]
    emit(f"payment_lookup/{name}", f"p50_{large // 1000}k_vs_1k", ratio, "ratio")
    verdict(f"payment_lookup/{name}", "p50_ratio", ratio, "<=", 1.2)


async def main() -> None:
    """SQLite (cached registries) then PostgreSQL (throwaway databases)."""
    quick = quick_mode()
    large = 20_000 if quick else 1_000_000
    lookups = 300 if quick else 2_000
    with tempfile.TemporaryDirectory(prefix="mies-lookup-") as tmp:
        small_url = await asyncio.to_thread(registry.sqlite_copy, SMALL, Path(tmp) / "small.db")
        large_url = await asyncio.to_thread(registry.sqlite_copy, large, Path(tmp) / "large.db")
        await compare("sqlite", small_url, large_url, large, lookups)
    if quick:
        return
    admin = postgres_admin_url()
    names = (f"mies_lookup_small_{os.getpid()}", f"mies_lookup_large_{os.getpid()}")
    try:
        small_pg = await registry.postgres_registry(admin, names[0], SMALL)
        large_pg = await registry.postgres_registry(admin, names[1], large)
    except Exception as error:
        emit("payment_lookup/postgres", "skipped", 0, type(error).__name__)
        return
    try:
        await compare("postgres", small_pg, large_pg, large, lookups)
    finally:
        for name in names:
            await registry.drop_postgres(admin, name)


if __name__ == "__main__":
    asyncio.run(main())
