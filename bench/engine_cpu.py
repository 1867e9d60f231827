"""Our own cost per message, without Telegram: the flow engine alone on the benchmark registry.

    python -m bench.engine_cpu [--rows 20000] [--messages 3000] [--databases sqlite,postgres]
                               [--keyed]

The same simulated citizens as `bench.conversation` (`harness/scenarios.mixed`) talk straight to
`FlowEngine.handle` (50 at a time), so the figures are the product's flows, SQL and commit only:
CPU ms per message (the whole process, aiosqlite's threads included), SQL statements per message
and messages/s. This is the figure each optimisation of the engine is measured by. `--keyed`
gives each message an update_id as Telegram does, so the exactly-once turn (its ledger row and
its replies written to the outbox, `bot.flows.turns`) is in the figure; without it, the turn as
before the ledger (what the console and tests call without a key).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import time
from dataclasses import replace
from typing import Any

from sqlalchemy import event

from bench.harness import registry, scenarios
from bench.harness.load import Citizen, Press
from bench.harness.report import emit, postgres_admin_url, quick_mode
from bot.config import Settings
from bot.flows.base import Incoming
from bot.flows.engine import FlowEngine
from bot.flows.registry import build_flows
from bot.runtime.composition import build_services

CONCURRENT = 50


async def _talk(
    engine: FlowEngine,
    citizen: Citizen,
    messages: list[int],
    budget: int,
    update_ids: itertools.count[int] | None = None,
) -> None:
    turn = 0
    options: list[str] = []
    while messages[0] < budget:
        messages[0] += 1
        step = citizen.steps[citizen.position % len(citizen.steps)]
        citizen.position += 1
        address = str(citizen.chat_id)
        if isinstance(step, Press):
            key = next((k for k in options if k.startswith(step.key)), None)
            if key is None:
                citizen.position = 0
                incoming = Incoming(channel="telegram", address=address, text="menú")
            else:
                incoming = Incoming(channel="telegram", address=address, option_key=key, turn=turn)
        else:
            incoming = Incoming(channel="telegram", address=address, text=step.text)
        if update_ids is not None:
            update_id = next(update_ids)
            incoming = replace(incoming, message_key=str(update_id), sequence=update_id)
        delivery = await engine.handle(incoming)
        turn = delivery.turn
        found = [r.options for r in delivery.replies if r.options]
        options = [o.key for o in found[-1]] if found else []


async def _measure(name: str, url: str, rows: int, messages: int, keyed: bool) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=url, audit_pseudonym_key="bench-only-audit-pseudonym-key"
    )
    services = await build_services(settings)
    statements = [0]

    def count(*_args: Any) -> None:
        statements[0] += 1

    event.listen(services.engine.sync_engine, "before_cursor_execute", count)
    engine = FlowEngine(services, build_flows())
    try:
        warm = [Citizen(chat_id=-1 - i, steps=scenarios.mixed(i, rows)) for i in range(6)]
        ids = itertools.count(1) if keyed else None
        await asyncio.gather(*(_talk(engine, c, [0], 20, ids) for c in warm))
        citizens = [
            Citizen(chat_id=1_000_000 + i, steps=scenarios.mixed(i, rows))
            for i in range(CONCURRENT)
        ]
        statements[0] = 0
        done = [0]
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(_talk(engine, c, done, messages, ids) for c in citizens))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        emit(f"engine_cpu/{name}", "cpu_per_message", 1000 * cpu / done[0], "ms")
        emit(f"engine_cpu/{name}", "sql_per_message", statements[0] / done[0], "statements")
        emit(f"engine_cpu/{name}", "throughput", done[0] / wall, "messages/s")
    finally:
        await services.close()


async def _run(rows: int, messages: int, databases: tuple[str, ...], keyed: bool) -> None:
    load1, _, _ = os.getloadavg()
    emit("engine_cpu/machine", "load_avg_1m", load1, f"(cpus: {os.cpu_count()})")

    async def measure(name: str, url: str) -> None:
        await _measure(name + ("/keyed" if keyed else ""), url, rows, messages, keyed)

    await registry.on_each_database("engine_cpu", rows, databases, measure, postgres_admin_url())


def main() -> None:
    """Parses the options and runs the engine benchmark."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000, help="registry rows")
    parser.add_argument("--messages", type=int, help="messages per database")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--keyed", action="store_true", help="messages with update_ids")
    args = parser.parse_args()
    messages = args.messages or (600 if quick_mode() else 3000)
    databases = tuple(d for d in args.databases.split(",") if d in ("sqlite", "postgres"))
    asyncio.run(_run(args.rows, messages, databases, args.keyed))


if __name__ == "__main__":
    main()
