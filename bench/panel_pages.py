"""Panel render time: p50/p95 of the staff panel's dashboard and case list on a large database.

Run alone: `python -m bench.panel_pages [--registry 100000] [--outbox 100000] [--requests 60]`
(BENCH_QUICK=1: 10,000 and 10,000). The database is the benchmark registry (`harness.registry`,
cached) copied, plus `--outbox` outbox rows of the last week, 5,000 cases over the districts and
the national queue, and two accounts: a national administrator (whose dashboard counts the
national outbox by status) and a district analyst. Each page is requested through the real ASGI
app in-process (httpx's ASGI transport: routing, sign-in check, the role × territory table, SQL,
Jinja2), signed in, one request at a time; the time is from request to full body. SQLite only.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

from bench.harness.registry import sqlite_copy
from bench.harness.report import emit, quick_mode, verdict
from bot.config import Settings
from bot.domain.staff import Role
from bot.handlers.web import build_app
from bot.runtime.composition import build_services
from bot.services.panel_auth import set_password
from bot.services.staff import create_staff
from bot.storage.models import Case, OutboxMessage

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
PASSWORD = "clave-de-benchmark"
DISTRICTS = ("11D06", "11D01", "17D02", "09D03", None)
STATUSES = ("sent", "delivered", "pending", "failed", "delivered", "sent")
TARGET_P95_MS = 300.0


async def _fill(url: str, outbox: int) -> tuple[int, int]:
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    services = await build_services(settings, clock=lambda: NOW)
    try:
        async with services.engine.begin() as conn:
            for start in range(0, outbox, 5000):
                await conn.execute(
                    insert(OutboxMessage),
                    [
                        {
                            "dedupe_key": f"bench:{i}",
                            "channel": "sms",
                            "address": f"+5939{i:08d}",
                            "body": "MIES: aviso",
                            "kind": "broadcast",
                            "segments": 1,
                            "status": STATUSES[i % len(STATUSES)],
                            "attempts": 1,
                            "next_attempt_at": NOW - timedelta(minutes=i % 10000),
                            "created_at": NOW - timedelta(minutes=i % 10000),
                            "updated_at": NOW,
                            "reconcile_checks": 0,
                        }
                        for i in range(start, min(outbox, start + 5000))
                    ],
                )
            await conn.execute(
                insert(Case),
                [
                    {
                        "number": f"B-{i:06d}",
                        "kind": "excluido",
                        "district_code": DISTRICTS[i % len(DISTRICTS)],
                        "parish_code": "111252",
                        "status": ("nuevo", "en_verificacion", "incluido")[i % 3],
                        "person_category": "adulto_mayor",
                        "description": "Persona adulta mayor que vive sola y no recibe el bono",
                        "reporter_consent": False,
                        "due_on": (NOW + timedelta(days=(i % 40) - 20)).date(),
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                    for i in range(5000)
                ],
            )
        async with services.session_factory() as session, session.begin():
            ids = []
            for role, district in ((Role.ADMIN, None), (Role.DISTRICT, "11D06")):
                staff = await create_staff(
                    session, name="Bench", role=role, now=NOW, district_code=district
                )
                await set_password(session, staff.id, PASSWORD, NOW)
                ids.append(staff.id)
        return ids[0], ids[1]
    finally:
        await services.close()


async def _measure(
    url: str, account: int, paths: list[str], requests: int
) -> dict[str, list[float]]:
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    services = await build_services(settings, clock=lambda: NOW)
    timings: dict[str, list[float]] = {path: [] for path in paths}
    try:
        transport = httpx.ASGITransport(app=build_app(services))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            page = await client.get("/panel/entrar")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf is not None
            signed = await client.post(
                "/panel/entrar",
                data={"csrf": csrf.group(1), "cuenta": str(account), "contrasena": PASSWORD},
            )
            assert signed.status_code == 303, signed.text
            for path in paths:  # warm-up: templates compiled, caches filled
                assert (await client.get(path)).status_code == 200
            for _ in range(requests):
                for path in paths:
                    started = time.perf_counter()
                    response = await client.get(path)
                    timings[path].append(1000 * (time.perf_counter() - started))
                    assert response.status_code == 200
    finally:
        await services.close()
    return timings


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    """Builds the database, then times the pages for each account."""
    parser = argparse.ArgumentParser(description=__doc__)
    quick = quick_mode()
    parser.add_argument("--registry", type=int, default=10_000 if quick else 100_000)
    parser.add_argument("--outbox", type=int, default=10_000 if quick else 100_000)
    parser.add_argument("--requests", type=int, default=20 if quick else 60)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = sqlite_copy(options.registry, Path(directory) / "panel.db")
        admin, analyst = asyncio.run(_fill(url, options.outbox))
        emit("panel_pages", "registry_rows", options.registry, "rows")
        emit("panel_pages", "outbox_rows", options.outbox, "rows")
        for who, account in (("admin", admin), ("district", analyst)):
            timings = asyncio.run(
                _measure(url, account, ["/panel/", "/panel/casos"], options.requests)
            )
            for path, values in timings.items():
                page = "dashboard" if path == "/panel/" else "cases"
                name = f"panel_pages/{who}/{page}"
                emit(name, "p50", _percentile(values, 50), "ms")
                verdict(name, "p95_ms", _percentile(values, 95), "<", TARGET_P95_MS)


if __name__ == "__main__":
    main()
