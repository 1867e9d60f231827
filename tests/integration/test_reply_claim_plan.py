"""A reply claim finds its rows through indexes, whatever else the outbox holds (SQLite's plan).

SQLite took the claim's status check to the status index (every pending row of the outbox: a
broadcast's SMS) and could not search an index with a RETURNING row's values (every reply of
every chat): 20 ms a claim in a 300,000-row outbox instead of 0.5 ms. The plan of each statement
the claim runs must search by primary key or by the chat's reply index, never scan those.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event

from bot.services.container import Services
from notificaciones import outbox_states
from notificaciones.outbox import TurnReply, enqueue_replies

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


async def test_the_claim_searches_by_id_and_by_the_chats_reply_index(services: Services) -> None:
    url = services.engine.url
    if url.get_backend_name() != "sqlite":
        pytest.skip("the query plan checked is SQLite's")
    async with services.session_factory() as session, session.begin():
        for chat in ("1", "2"):
            replies = [TurnReply("uno"), TurnReply("dos")]
            await enqueue_replies(
                session, channel="telegram", address=chat, turn_key="7", replies=replies, now=NOW
            )
    statements: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, params: Any, *_rest: Any) -> None:
        statements.append((statement, params))

    event.listen(services.engine.sync_engine, "before_cursor_execute", keep)
    try:
        async with services.session_factory() as session, session.begin():
            claims = await outbox_states.claim_chat_replies(
                session, channel="telegram", addresses=["1", "2"], worker="w", now=NOW
            )
    finally:
        event.remove(services.engine.sync_engine, "before_cursor_execute", keep)
    assert [m.body for m in claims.claimed] == ["uno", "uno"]
    assert claims.more == {"1", "2"} and claims.held == frozenset()

    assert url.database is not None
    plans = []
    with sqlite3.connect(url.database) as connection:
        for statement, params in statements:
            if statement.lstrip().upper().startswith(("UPDATE", "SELECT")):
                plan = connection.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall()
                plans.append(" | ".join(str(step[3]) for step in plan))
    assert len(plans) == 2  # the claim, then one look at what is still pending
    for plan in plans:
        assert "ix_outbox_due" not in plan and "ix_outbox_kind_created" not in plan, plan
        assert "SCAN outbox" not in plan, plan
    assert "INTEGER PRIMARY KEY" in plans[0]
    assert all("ix_outbox_chat_replies" in plan for plan in plans)
