"""Benchmark: import generated registry rows into SQLite and PostgreSQL; rows/s and peak memory.

Run alone: `python -m bench.registry_import [--sizes 100000,1000000] [--skip-postgres]`
(BENCH_QUICK=1: 10k and 50k rows).
Each import runs in a fresh child process so its peak RSS (ru_maxrss) belongs to that import
only: equal peaks for 100k and 1M rows show memory does not grow with the file.
PostgreSQL: a throwaway database is created on BENCH_POSTGRES_URL (default
postgresql+asyncpg://postgres@127.0.0.1:5432/postgres) and dropped afterwards. PostgreSQL imports
COPY each batch into a staging table and merge it (bot/services/registry_copy.py); at 1,000,000
rows a TARGET line judges ≥ 50,000 rows/s (`python -m bench --full registry_import`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.harness.report import verdict
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


async def _import_once(url: str, csv_path: Path) -> dict[str, float]:
    from datetime import UTC, datetime

    engine = create_engine(url)
    start = time.perf_counter()
    summary = await import_registry(engine, csv_path, now=datetime.now(UTC))
    elapsed = time.perf_counter() - start
    await engine.dispose()
    return {
        "rows": summary.rows_read,
        "changed": summary.rows_changed,
        "seconds": elapsed,
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
    parser.add_argument("--child", nargs=2, metavar=("URL", "CSV"))
    args = parser.parse_args()
    if args.child:
        figures = asyncio.run(_import_once(args.child[0], Path(args.child[1])))
        print(json.dumps(figures))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as tmp:
        directory = Path(tmp)
        print(f"{'db':<10}{'rows':>10}{'seconds':>10}{'rows/s':>10}{'peak MB':>10}")
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
                    figures = _child(url, csv_path)
                    rate = figures["rows"] / figures["seconds"]
                    print(
                        f"{name:<10}{int(figures['rows']):>10}{figures['seconds']:>10.1f}"
                        f"{rate:>10.0f}{figures['peak_rss_mb']:>10.0f}",
                        flush=True,
                    )
                    if name == "postgresql" and size >= 1_000_000:
                        # Issue 15: COPY on PostgreSQL, judged at the full size only.
                        verdict(
                            "bench/registry_import/postgresql", "rows_per_s", rate, ">=", 50_000
                        )
            finally:
                if not args.skip_postgres:
                    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{pg_name}"'))
            csv_path.unlink()


if __name__ == "__main__":
    main()
