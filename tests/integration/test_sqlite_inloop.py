"""SQLite on the event loop (`bot/storage/sqlite_inloop.py`): no threads, and a lock never blocks.

Statements run on the loop; a write that finds the database locked by another connection gives
way with `asyncio.sleep` and runs again, so the holder (in this process or another) can finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import sqlite_inloop, wal_checkpoints
from bot.storage.db import create_engine, engine_url


async def _table(path: Path) -> AsyncEngine:
    engine = create_engine(f"sqlite+aiosqlite:///{path}", concurrency=4)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    return engine


async def _ticks_while(work: asyncio.Task[object]) -> int:
    """Counts 1 ms ticks of the loop until `work` ends: a blocked loop would count none."""
    ticks = 0
    while not work.done():
        await asyncio.sleep(0.001)
        ticks += 1
    return ticks


def test_file_urls_use_the_in_loop_driver_and_others_are_untouched() -> None:
    assert engine_url("sqlite:///x.db").drivername == "sqlite+inloop"
    assert engine_url("sqlite+aiosqlite:///x.db").drivername == "sqlite+inloop"
    assert engine_url("sqlite+inloop:///x.db").drivername == "sqlite+inloop"
    url = "postgresql+asyncpg://u@h/db"
    assert engine_url(url).drivername == "postgresql+asyncpg"


async def test_reads_and_writes_run_without_a_thread_per_connection(tmp_path: Path) -> None:
    engine = await _table(tmp_path / "a.db")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO notes (body) VALUES ('ñandú 🦤')"))
        threads = threading.active_count()
        async with contextlib.AsyncExitStack() as stack:
            connections = [await stack.enter_async_context(engine.connect()) for _ in range(4)]
            for conn in connections:
                rows = (await conn.execute(text("SELECT body FROM notes"))).scalars().all()
                assert rows == ["ñandú 🦤"]
            mode = (await connections[0].execute(text("PRAGMA journal_mode"))).scalar()
            assert threading.active_count() == threads  # 4 connections, not one thread more
        assert mode == "wal"
        assert engine.dialect.driver == sqlite_inloop.DRIVER
    finally:
        await engine.dispose()


async def test_a_writer_gives_way_to_a_transaction_of_this_process(tmp_path: Path) -> None:
    engine = await _table(tmp_path / "b.db")
    holder_wrote = asyncio.Event()

    async def holder() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO notes (body) VALUES ('first')"))
            holder_wrote.set()
            await asyncio.sleep(0.2)  # suspended with the write lock held

    async def second() -> None:
        await holder_wrote.wait()
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO notes (body) VALUES ('second')"))

    try:
        first_task = asyncio.create_task(holder())
        second_task: asyncio.Task[object] = asyncio.create_task(second())
        ticks = await _ticks_while(second_task)
        await first_task
        await second_task
        async with engine.connect() as conn:
            bodies = (await conn.execute(text("SELECT body FROM notes ORDER BY id"))).scalars()
            assert list(bodies) == ["first", "second"]
        assert ticks > 5  # the loop kept running the whole time the second writer waited
    finally:
        await engine.dispose()


async def test_a_writer_gives_way_to_another_process_lock(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    engine = await _table(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO notes (body) VALUES ('other process')")
    loop = asyncio.get_running_loop()
    loop.call_later(0.15, other.execute, "COMMIT")

    async def write() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO notes (body) VALUES ('bot')"))

    try:
        task: asyncio.Task[object] = asyncio.create_task(write())
        ticks = await _ticks_while(task)
        await task
        async with engine.connect() as conn:
            bodies = (await conn.execute(text("SELECT body FROM notes ORDER BY id"))).scalars()
            assert list(bodies) == ["other process", "bot"]
        assert ticks > 5
    finally:
        other.close()
        await engine.dispose()


async def test_a_lock_held_too_long_fails_clearly_without_blocking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_inloop, "LOCK_WAIT_SECONDS", 0.2)
    path = tmp_path / "d.db"
    engine = await _table(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")

    async def write() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO notes (body) VALUES ('never')"))

    try:
        task: asyncio.Task[object] = asyncio.create_task(write())
        ticks = await _ticks_while(task)
        with pytest.raises(OperationalError, match="locked"):
            await task
        assert ticks > 5
        other.execute("ROLLBACK")
        async with engine.begin() as conn:  # the connection is usable again afterwards
            await conn.execute(text("INSERT INTO notes (body) VALUES ('later')"))
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM notes"))).scalar() == 1
    finally:
        other.close()
        await engine.dispose()


async def test_an_error_inside_a_transaction_rolls_it_back(tmp_path: Path) -> None:
    engine = await _table(tmp_path / "e.db")
    try:
        with pytest.raises(OperationalError):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO notes (body) VALUES ('kept?')"))
                await conn.execute(text("INSERT INTO missing_table VALUES (1)"))
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM notes"))).scalar() == 0
    finally:
        await engine.dispose()


async def test_wal_checkpoints_run_on_a_worker_thread_not_on_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f.db"
    engine = await _table(path)
    threads: list[int] = []
    original = wal_checkpoints.WalCheckpointer.checkpoint

    def recording(self: wal_checkpoints.WalCheckpointer) -> None:
        threads.append(threading.get_ident())
        original(self)

    monkeypatch.setattr(wal_checkpoints.WalCheckpointer, "checkpoint", recording)
    monkeypatch.setattr(wal_checkpoints, "CHECKPOINT_EVERY_SECONDS", 60.0)
    checkpointer = wal_checkpoints.checkpointer_for(str(path))
    assert checkpointer is not None
    await checkpointer.wait()  # the one CREATE TABLE started
    checkpointer.last_started = float("-inf")
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == 0
        before = checkpointer.completed
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO notes (body) VALUES ('uno'), ('dos')"))
        await checkpointer.wait()
        assert checkpointer.completed == before + 1
        assert threads and threads[-1] != threading.get_ident()
        async with engine.begin() as conn:  # within the period: no second checkpoint
            await conn.execute(text("INSERT INTO notes (body) VALUES ('tres')"))
        await checkpointer.wait()
        assert checkpointer.completed == before + 1
        # The rows are in the database file itself: read without the WAL (immutable=1).
        plain = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
        try:
            rows = plain.execute("SELECT body FROM notes ORDER BY id").fetchall()
        finally:
            plain.close()
        assert rows == [("uno",), ("dos",)]
    finally:
        await engine.dispose()


def test_an_in_memory_database_has_no_checkpointer() -> None:
    assert wal_checkpoints.checkpointer_for(":memory:") is None
    assert wal_checkpoints.checkpointer_for("file:x?mode=memory&cache=shared", uri=True) is None


async def test_a_commit_refused_by_a_reader_is_retried_not_lost(tmp_path: Path) -> None:
    """Outside WAL (rollback journal) a COMMIT waits for readers: it must wait on the loop."""
    path = tmp_path / "g.db"
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode=DELETE")
    setup.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    setup.execute("INSERT INTO notes (body) VALUES ('old')")
    setup.execute("BEGIN")
    setup.execute("SELECT * FROM notes").fetchall()  # an open read: a SHARED lock
    writer = sqlite_inloop.InLoopConnection(sqlite3.connect(path, timeout=0))
    cursor = await writer.cursor()
    await cursor.execute("INSERT INTO notes (body) VALUES ('new')")
    asyncio.get_running_loop().call_later(0.1, setup.execute, "COMMIT")
    try:
        commit: asyncio.Task[object] = asyncio.create_task(writer.commit())
        ticks = await _ticks_while(commit)
        await commit
        assert ticks > 5
        rows = setup.execute("SELECT body FROM notes ORDER BY id").fetchall()
        assert rows == [("old",), ("new",)]
    finally:
        await writer.close()
        setup.close()
