"""Sending-budget benchmark: two dispatcher processes on one PostgreSQL share SMS_RATE_PER_SECOND.

Run alone: `python -m bench.sending_budget [--rate 20] [--seconds 10]` (BENCH_QUICK=1: 4 s).
A throwaway database gets `rate × seconds` due SMS; two dispatcher processes (`Dispatcher`
with the PostgreSQL budgets of notificaciones/budgets.py, as `bot scheduler` builds it) drain it
into a console gateway that records when each message was handed over. The rate printed is
measured over both processes together, from their second send to their last (the first carries
each process's start-up); the target is SMS_RATE_PER_SECOND ± 5 %. Without the shared budget,
each process paces itself and the pair sends at twice the rate (printed too, as the baseline).

The other way the issue names, one elected sender per channel, runs as a third pair: each process
asks PostgreSQL for an advisory lock; the holder drains the outbox pacing alone, the other polls
for the lock every `ELECTION_POLL_SECONDS` until the outbox is empty (it takes over only when the
holder's session ends). Printed: its rate, the split, and statements per SMS of both ways.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

from sqlalchemy import event, func, insert, select, text
from sqlalchemy.engine import make_url

from bench.harness.report import emit, postgres_admin_url, quick_mode, verdict
from bot.config import Settings
from bot.storage.db import create_engine, create_session_factory
from bot.storage.migrate import upgrade
from bot.storage.models import OutboxMessage
from notificaciones.budgets import SharedBudgets
from notificaciones.dispatcher import Dispatcher
from notificaciones.gateways.sms import ConsoleSmsGateway

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # 10:00 in Ecuador: no quiet hours
NAME = "bench/sending_budget"
ELECTION_LOCK = 0x4D494553  # the advisory lock of the elected SMS sender ("MIES")
ELECTION_POLL_SECONDS = 0.5


async def _admin(sql: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(postgres_admin_url().replace("postgresql+asyncpg", "postgresql"))
    try:
        await admin.execute(sql)
    finally:
        await admin.close()


async def _fill(url: str, count: int, first: int = 0) -> None:
    engine = create_engine(url)
    rows = [
        {
            "dedupe_key": f"bench:{first + i}",
            "channel": "sms",
            "address": f"+5939920{i:05d}",
            "body": "MIES: aviso de prueba",
            "kind": "bench",
            "segments": 1,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": NOW,
            "created_at": NOW,
            "updated_at": NOW,
        }
        for i in range(count)
    ]
    async with engine.begin() as conn:
        await conn.execute(insert(OutboxMessage), rows)
    await engine.dispose()


async def _dispatch(url: str, rate: float, mode: str) -> dict[str, object]:
    """One dispatcher process: drains the outbox; returns when it handed each SMS over."""
    settings = Settings(_env_file=None, database_url=url, sms_rate_per_second=rate)  # type: ignore[call-arg]
    engine = create_engine(url)
    statements = [0]

    def count(*_args: object) -> None:
        statements[0] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    factory = create_session_factory(engine)
    handed: list[float] = []
    gateway = ConsoleSmsGateway(write=lambda _line: handed.append(time.time()))
    dispatcher = Dispatcher.from_settings(factory, settings, gateway, clock=lambda: NOW)
    if mode == "shared":
        dispatcher.budgets = SharedBudgets.from_settings(factory, settings)
    if mode == "elected":
        async with engine.connect() as election:
            while not await election.scalar(text(f"SELECT pg_try_advisory_lock({ELECTION_LOCK})")):
                async with factory() as session:
                    pending = await session.scalar(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(OutboxMessage.status == "pending")
                    )
                if not pending:
                    break
                await asyncio.sleep(ELECTION_POLL_SECONDS)
            else:
                await dispatcher.run_until_idle()
    else:
        await dispatcher.run_until_idle()
    await engine.dispose()
    return {"handed": handed, "statements": statements[0]}


def _pair(url: str, rate: float, mode: str) -> tuple[float, list[int], float]:
    """Runs two dispatcher processes at once: their joint rate, each one's count, SQL per SMS."""
    command = [sys.executable, "-m", "bench.sending_budget", "--child", url, str(rate), mode]
    children = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    results = [json.loads(child.communicate()[0].strip().splitlines()[-1]) for child in children]
    handed: list[list[float]] = [r["handed"] for r in results]
    times = sorted(t for one in handed for t in one)[1:]
    per_sms = sum(int(r["statements"]) for r in results) / max(1, len(times) + 1)
    return (len(times) - 1) / (times[-1] - times[0]), [len(h) for h in handed], per_sms


def main() -> None:
    """Creates the database, runs the pair with and without the shared budget, prints the rates."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=4.0 if quick_mode() else 10.0)
    parser.add_argument("--child", nargs=3, metavar=("URL", "RATE", "MODE"))
    args = parser.parse_args()
    if args.child:
        url, rate, mode = args.child
        print(json.dumps(asyncio.run(_dispatch(url, float(rate), mode))))
        return
    name = f"mies_bench_budget_{os.getpid()}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, ImportError) as error:
        print(f"{NAME:<46} {'postgres':<15} {'skipped':>10} ({type(error).__name__})")
        return
    url = make_url(postgres_admin_url()).set(database=name).render_as_string(hide_password=False)
    count = int(args.rate * args.seconds)
    try:
        upgrade(url)
        asyncio.run(_fill(url, count))
        shared_rate, counts, shared_sql = _pair(url, args.rate, "shared")
        asyncio.run(_fill(url, count, first=count))
        alone_rate, _, _ = _pair(url, args.rate, "alone")
        asyncio.run(_fill(url, count, first=2 * count))
        elected_rate, elected, elected_sql = _pair(url, args.rate, "elected")
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    emit(f"{NAME}/configured", "rate", args.rate, "SMS/s (SMS_RATE_PER_SECOND)")
    emit(
        f"{NAME}/2-dispatchers", "rate", shared_rate, f"SMS/s together ({counts[0]} + {counts[1]})"
    )
    emit(f"{NAME}/2-unshared", "rate", alone_rate, "SMS/s together, each pacing alone (before)")
    emit(
        f"{NAME}/2-elected",
        "rate",
        elected_rate,
        f"SMS/s, one elected sender ({elected[0]} + {elected[1]})",
    )
    emit(f"{NAME}/2-dispatchers", "sql_per_sms", shared_sql, "statements (shared budget)")
    emit(f"{NAME}/2-elected", "sql_per_sms", elected_sql, "statements (elected sender)")
    deviation = 100 * abs(shared_rate - args.rate) / args.rate
    verdict(f"{NAME}/2-dispatchers", "rate_error_%", deviation, "<=", 5)


if __name__ == "__main__":
    main()
