"""A reply claim's cost in a large outbox: `python -m bench.reply_claim [--history 200000]`.

The reply lane claims a chat's next reply before each send (`outbox_states.claim_chat_replies`).
A real outbox holds every reply ever sent (until retention) and, after a broadcast, thousands of
pending SMS; a claim must find its rows through indexes whatever that volume. A throwaway
database per engine gets `--history` sent replies over 2,000 chats and half as many pending
SMS; then one chat's new reply is queued and claimed, `--claims` times. Printed: ms per claim,
BEGIN to COMMIT (SQLite; PostgreSQL when reachable). BENCH_QUICK=1: a tenth of the history.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import make_url

from bench.harness.report import emit, postgres_admin_url, quick_mode
from bot.storage.db import create_engine, create_session_factory
from bot.storage.migrate import upgrade_async
from bot.storage.models import OutboxMessage
from notificaciones import outbox_states

NAME = "bench/reply_claim"
CHATS = 2000
THEN = datetime(2026, 12, 1, tzinfo=UTC)


def _row(key: str, channel: str, address: str, kind: str, status: str) -> dict[str, Any]:
    return {
        "dedupe_key": key,
        "channel": channel,
        "address": address,
        "body": "MIES: mensaje de prueba",
        "kind": kind,
        "segments": 1,
        "status": status,
        "attempts": 1 if status == "sent" else 0,
        "next_attempt_at": THEN,
        "created_at": THEN,
        "updated_at": THEN,
    }


async def _measure(engine_name: str, url: str, history: int, claims: int) -> None:
    await upgrade_async(url)
    engine = create_engine(url)
    factory = create_session_factory(engine)
    rows = [
        _row(f"reply:telegram:{i % CHATS}:{i}:0", "telegram", str(i % CHATS), "reply", "sent")
        for i in range(history)
    ]
    rows += [
        _row(f"sms:{i}", "sms", f"+5939{i:08d}", "announcement", "pending")
        for i in range(history // 2)
    ]
    async with engine.begin() as connection:
        for start in range(0, len(rows), 20_000):
            await connection.execute(insert(OutboxMessage), rows[start : start + 20_000])
    spent = 0.0
    try:
        for n in range(claims):
            chat = str(n % CHATS)
            async with factory() as session, session.begin():
                await session.execute(
                    insert(OutboxMessage), [_row(f"new:{n}", "telegram", chat, "reply", "pending")]
                )
            started = time.perf_counter()
            async with factory() as session, session.begin():
                got = await outbox_states.claim_chat_replies(
                    session, channel="telegram", addresses=[chat], worker="bench", now=THEN
                )
            spent += time.perf_counter() - started
            assert len(got.claimed) == 1 and not got.more and not got.held
    finally:
        await engine.dispose()
    emit(
        f"{NAME}/{engine_name}",
        "claim",
        1000 * spent / claims,
        f"ms a claim (outbox of {len(rows):,} rows)",
    )


async def _postgres(history: int, claims: int) -> None:
    import asyncpg

    admin_url = postgres_admin_url()
    name = f"mies_bench_claim_{os.getpid()}"
    dsn = admin_url.replace("postgresql+asyncpg", "postgresql")
    try:
        admin = await asyncpg.connect(dsn)
    except (OSError, asyncpg.PostgresError) as error:
        emit(f"{NAME}/postgres", "skipped", 0, type(error).__name__)
        return
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        await _measure("postgres", url, history, claims)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _run(history: int, claims: int) -> None:
    with tempfile.TemporaryDirectory(prefix="mies-bench-") as workdir:
        url = f"sqlite+aiosqlite:///{Path(workdir) / 'claim.db'}"
        await _measure("sqlite", url, history, claims)
    await _postgres(history, claims)


def main() -> None:
    """Parses the options and measures the claim on each database."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--history", type=int, help="sent replies already in the outbox")
    parser.add_argument("--claims", type=int, default=300)
    args = parser.parse_args()
    history = args.history or (20_000 if quick_mode() else 200_000)
    asyncio.run(_run(history, args.claims))


if __name__ == "__main__":
    main()
