"""SMS outbox benchmark: a staff broadcast to 100,000 recipients, queued then dispatched.

Run alone: `python -m bench.sms_outbox [--n 100000] [--skip-postgres]` (BENCH_QUICK=1: 10,000).
The broadcast takes the path staff use with /difundir (`bot.services.broadcasts`): a draft with
its preview (audience resolution, digest, segments, cost) in one transaction, then the
confirmation (the audience resolved again and checked against the digest, quiet hours, bulk
`INSERT … ON CONFLICT DO NOTHING`) in another, by a national administrator.
Dispatch goes through the real `TwilioSmsGateway` (twilio's async client, aiohttp) to a local
Twilio-compatible stub served by a *separate process* on 127.0.0.1, with no rate limit, so the
CPU time measured here (`time.process_time`) is the dispatcher's own: claims, twilio request
building and parsing, result storage (and SQLite itself, which runs in-process). PostgreSQL runs
use a throwaway database created and dropped here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from bench.harness.report import emit, postgres_admin_url, quick_mode
from bot.config import Settings
from bot.domain.staff import Role
from bot.services.broadcasts import confirm_broadcast, draft_broadcast, staff_audience
from bot.services.staff import create_staff, scope_of
from bot.storage.db import create_engine, create_session_factory
from bot.storage.migrate import upgrade
from bot.storage.models import Beneficiary, OutboxMessage
from bot.storage.reference_data import load_reference_data
from notificaciones.dispatcher import Dispatcher
from notificaciones.gateways.twilio import TwilioSmsGateway

PARISH = "111252"
STUB_PROCESSES = 4
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # 10:00 in Loja: no quiet hours
BODY = "MIES: Brigada Social en Tacamoros el jueves 26 a las 09:00, parque central."


# --- the Twilio-compatible stub (its own process) -----------------------------------------------


def _stub_main(port: int, index: int, ready: Any) -> None:
    from aiohttp import web

    counter = {"n": 0}

    async def create(request: web.Request) -> web.Response:
        form = await request.post()
        counter["n"] += 1
        sid = f"SM{index:02d}{counter['n']:030d}"
        payload = {"sid": sid, "to": form.get("To"), "body": form.get("Body"), "status": "queued"}
        return web.Response(status=201, text=json.dumps(payload), content_type="application/json")

    app = web.Application()
    app.router.add_post("/2010-04-01/Accounts/{account}/Messages.json", create)

    async def run() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, reuse_port=True).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(run())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- one backend -----------------------------------------------------------------------------


async def _prepare(url: str, n: int) -> None:
    engine = create_engine(url)
    async with create_session_factory(engine)() as session, session.begin():
        await load_reference_data(session)
    rows = [
        {
            "cedula": f"{i:010d}",
            "names": "Persona de prueba",
            "mobile": f"+5939{90000000 + i:08d}",
            "parish_code": PARISH,
            "programme": "BDH",
            "status": "activo",
            "row_hash": "x",
            "updated_at": NOW,
        }
        for i in range(n)
    ]
    async with engine.begin() as conn:
        for start in range(0, n, 2000):
            await conn.execute(insert(Beneficiary), rows[start : start + 2000])
    await engine.dispose()


async def _run(label: str, url: str, n: int, stub_url: str) -> None:
    await _prepare(url, n)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=url,
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token="bench",
        twilio_from_number="+15005550006",
        twilio_base_url=stub_url,
        sms_rate_per_second=0,
    )
    engine = create_engine(url)
    factory = create_session_factory(engine)

    async with factory() as session, session.begin():
        admin = scope_of(await create_staff(session, name="Bench", role=Role.ADMIN, now=NOW))
    audience = staff_audience("beneficiarios", "parish", PARISH)

    started = time.perf_counter()
    async with factory() as session, session.begin():
        broadcast, preview = await draft_broadcast(
            session, admin, audience, BODY, now=NOW, settings=settings
        )
    drafted = time.perf_counter()
    async with factory() as session, session.begin():
        queued = await confirm_broadcast(session, admin, broadcast.id, now=NOW, settings=settings)
    confirmed = time.perf_counter()
    async with factory() as session:
        rows = await session.scalar(select(func.count(OutboxMessage.id)))
    assert preview.recipients == queued == rows == n, (preview.recipients, queued, rows, n)
    emit(f"sms_outbox {label} preview", "rows/s", n / (drafted - started), "rows/s")
    emit(f"sms_outbox {label} confirm", "rows/s", n / (confirmed - drafted), "rows/s")
    emit(f"sms_outbox {label} enqueue", "rows/s", n / (confirmed - started), "rows/s")

    gateway = TwilioSmsGateway(settings)
    dispatcher = Dispatcher(
        factory,
        settings,
        gateway,
        clock=lambda: NOW,
        rate_per_second=None,
        batch_size=500,
        concurrency=64,
    )
    cpu0, wall0 = time.process_time(), time.perf_counter()
    report = await dispatcher.run_until_idle()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    await gateway.close()
    async with factory() as session:
        sent = await session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "sent")
        )
    await engine.dispose()
    assert report.sent == n and sent == n, (report, sent)
    emit(f"sms_outbox {label} dispatch", "rows/s", n / wall, "rows/s")
    emit(f"sms_outbox {label} dispatch", "cpu/msg", cpu / n * 1e6, "µs")


async def _admin(sql: str) -> None:
    engine = create_engine(postgres_admin_url()).execution_options(isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(sql))
    await engine.dispose()


async def main_async(n: int, skip_postgres: bool, stub_url: str) -> None:
    """Runs the benchmark on SQLite, then on a throwaway PostgreSQL database."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'sms.db'}"
        await asyncio.to_thread(upgrade, url)
        await _run("sqlite", url, n, stub_url)
    if skip_postgres:
        return
    name = f"mies_bench_sms_{os.getpid()}"
    try:
        await _admin(f"CREATE DATABASE {name}")
    except Exception as error:  # PostgreSQL not reachable: say so, do not fail the others
        print(f"sms_outbox postgresql skipped ({type(error).__name__})")
        return
    admin = postgres_admin_url()
    url = admin.rsplit("/", 1)[0] + f"/{name}"
    try:
        await asyncio.to_thread(upgrade, url)
        await _run("postgresql", url, n, stub_url)
    finally:
        await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def main() -> None:
    """Starts the stub process, runs the benchmark, stops the stub."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--n", type=int, default=10_000 if quick_mode() else 100_000)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    port = _free_port()
    context = multiprocessing.get_context("spawn")
    stubs = []
    # Several stub processes share the port (SO_REUSEPORT) so the stub is never the bottleneck.
    for index in range(STUB_PROCESSES):
        ready = context.Event()
        stub = context.Process(target=_stub_main, args=(port, index, ready), daemon=True)
        stub.start()
        stubs.append((stub, ready))
    try:
        if not all(ready.wait(30) for _stub, ready in stubs):
            raise SystemExit("the Twilio stub did not start")
        asyncio.run(main_async(args.n, args.skip_postgres, f"http://127.0.0.1:{port}"))
    finally:
        for stub, _ready in stubs:
            stub.terminate()
            stub.join(10)


if __name__ == "__main__":
    main()
