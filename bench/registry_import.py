"""Benchmark: import generated registry rows into SQLite and PostgreSQL; rows/s and peak memory.

Run alone: `python -m bench.registry_import [--sizes 100000,1000000] [--skip-postgres] [--again]`
(BENCH_QUICK=1: 10k and 50k rows).
Each import runs in a fresh child process so its peak RSS (ru_maxrss) belongs to that import
only: equal peaks for 100k and 1M rows show memory does not grow with the file. Beside the wall
time: the importing process's own CPU seconds (the row checks, the driver) and, on PostgreSQL,
the server's (its backend's CPU, read from /proc when the server runs on this machine), so a
slow run says which side it waited for; `cpu_calibration` before and after says how fast the
shared machine was. `--again` imports the same file a second time (nothing changes: the
monthly re-import of an unchanged registry).
PostgreSQL: a throwaway database is created on BENCH_POSTGRES_URL (default
postgresql+asyncpg://postgres@127.0.0.1:5432/postgres) and dropped afterwards. PostgreSQL imports
COPY each batch into a staging table and merge it (bot/services/registry_copy.py); at 1,000,000
rows a TARGET line judges the first import's ≥ 50,000 rows/s (`python -m bench --full
registry_import`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.harness.report import cpu_calibration_ms, emit, verdict
from bot.services.registry_import import import_registry
from bot.storage.db import create_engine, create_session_factory
from bot.storage.migrate import upgrade
from bot.storage.reference_data import load_reference_data
from bot.storage.registry_sample import sample_rows, write_csv

ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


async def _reference(url: str) -> None:
    engine = create_engine(url)
    async with create_session_factory(engine)() as session, session.begin():
        await load_reference_data(session)
    await engine.dispose()


async def _admin(sql: str) -> None:
    engine = create_engine(ADMIN_URL)
    engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(sql))
    await engine.dispose()


def _backend_cpu(pids: list[int]) -> float:
    """CPU seconds used so far by these server processes (nan when /proc cannot tell)."""
    total = 0.0
    try:
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return math.nan
    return total


async def _backends(engine: AsyncEngine) -> list[int]:
    if engine.dialect.name != "postgresql":
        return []
    async with engine.connect() as conn:  # the pool keeps this backend for the import
        return [int(await conn.scalar(text("SELECT pg_backend_pid()")))]


async def _import_once(url: str, csv_path: Path) -> dict[str, float]:
    from datetime import UTC, datetime

    engine = create_engine(url)
    pids = await _backends(engine)
    server_before = _backend_cpu(pids)
    cpu_before = time.process_time()
    start = time.perf_counter()
    summary = await import_registry(engine, csv_path, now=datetime.now(UTC))
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_before
    server = _backend_cpu(pids) - server_before if pids else math.nan
    await engine.dispose()
    return {
        "rows": summary.rows_read,
        "changed": summary.rows_changed,
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "server_cpu_seconds": server,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _child(url: str, csv_path: Path) -> dict[str, float]:
    """Runs one import in a fresh interpreter and returns its figures."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.registry_import", "--child", url, str(csv_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    """Generates the files, runs the imports and prints a table."""
    parser = argparse.ArgumentParser()
    quick = os.environ.get("BENCH_QUICK") == "1"
    parser.add_argument("--sizes", default="10000,50000" if quick else "100000,1000000")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--again", action="store_true", help="import each file a second time")
    parser.add_argument("--child", nargs=2, metavar=("URL", "CSV"))
    args = parser.parse_args()
    if args.child:
        figures = asyncio.run(_import_once(args.child[0], Path(args.child[1])))
        print(json.dumps(figures))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    emit("bench/registry_import", "cpu_calibration", cpu_calibration_ms(), "ms (before)")
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as tmp:
        directory = Path(tmp)
        print(
            f"{'db':<11}{'run':<7}{'rows':>9}{'changed':>9}{'seconds':>9}{'rows/s':>9}"
            f"{'CPU s':>8}{'server s':>9}{'peak MB':>9}"
        )
        for size in sizes:
            csv_path = directory / f"registry-{size}.csv"
            started = time.perf_counter()
            write_csv(csv_path, sample_rows(size))
            print(
                f"# generated {size} rows ({csv_path.stat().st_size / 1e6:.0f} MB) "
                f"in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
            targets = [("sqlite", f"sqlite+aiosqlite:///{directory}/bench-{size}.db")]
            pg_name = f"mies_bench_{os.getpid()}_{size}"
            if not args.skip_postgres:
                asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{pg_name}"'))
                asyncio.run(_admin(f'CREATE DATABASE "{pg_name}"'))
                pg_url = make_url(ADMIN_URL).set(database=pg_name)
                targets.append(("postgresql", pg_url.render_as_string(hide_password=False)))
            try:
                for name, url in targets:
                    upgrade(url)
                    asyncio.run(_reference(url))
                    for run in ("first", "again") if args.again else ("first",):
                        figures = _child(url, csv_path)
                        rate = figures["rows"] / figures["seconds"]
                        print(
                            f"{name:<11}{run:<7}{int(figures['rows']):>9}"
                            f"{int(figures['changed']):>9}{figures['seconds']:>9.1f}{rate:>9.0f}"
                            f"{figures['cpu_seconds']:>8.1f}{figures['server_cpu_seconds']:>9.1f}"
                            f"{figures['peak_rss_mb']:>9.0f}",
                            flush=True,
                        )
                        if name == "postgresql" and run == "first" and size >= 1_000_000:
                            # Issue 15: COPY on PostgreSQL, judged at the full size only.
                            verdict(
                                "bench/registry_import/postgresql", "rows_per_s", rate, ">=", 50_000
                            )
            finally:
                if not args.skip_postgres:
                    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{pg_name}"'))
            csv_path.unlink()
    emit("bench/registry_import", "cpu_calibration", cpu_calibration_ms(), "ms (after)")


if __name__ == "__main__":
    main()
