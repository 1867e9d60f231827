"""SQLite for SQLAlchemy's asyncio engine without a thread per connection ("sqlite+inloop").

aiosqlite runs every call (cursor, execute, fetch, close, commit) on a thread of its own and
hands the result back to the event loop: about 20 thread hops per citizen message, half of the
bot's CPU on SQLite (docs/benchmarks.md). Statements of this product are indexed lookups that
take microseconds, so this driver runs them on the event loop itself, through the same
SQLAlchemy adaptation layer as aiosqlite (only the thread is gone).

What must never happen on the loop is a wait for SQLite's write lock: another connection of the
same process may hold it while its coroutine is suspended, and a blocking busy handler would
freeze that coroutine too. So connections have no busy timeout; a statement that finds the
database locked before its transaction has written anything gives way (`asyncio.sleep`, growing
from 1 ms to 50 ms) and runs again, up to `LOCK_WAIT_SECONDS`, as SQLite's busy handler would.
SQLite reports a lock at the first write of a transaction, before anything changed; later
statements of a writing transaction already hold the lock. Nor does the loop ever sync the
file: WAL checkpoints run on a worker thread (`bot/storage/wal_checkpoints.py`).

The price: a statement holds the loop while it runs. Conversation statements are indexed and
take microseconds; a SQLite deployment serves one district. Long analytical queries over a
national registry belong to PostgreSQL (asyncpg never blocks the loop).

A SQLite URL in the settings is written `sqlite:///path.db` (`sqlite+aiosqlite:///…` is still
understood); `bot.storage.db.engine_url` gives it this driver (`sqlite+inloop`) when it builds
the engine.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import types
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)

from bot.storage.wal_checkpoints import WalCheckpointer, checkpointer_for

if TYPE_CHECKING:
    from sqlalchemy.connectors.asyncio import AsyncIODBAPIConnection

DRIVER = "inloop"
LOCK_WAIT_SECONDS = 30.0
FIRST_PAUSE_SECONDS = 0.001
LONGEST_PAUSE_SECONDS = 0.05


def _is_locked(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "database is locked" in text or "database is busy" in text


class _LockWaits:
    """The waits of one statement or COMMIT on a locked database, as SQLite's busy handler."""

    def __init__(self) -> None:
        self._deadline = time.monotonic() + LOCK_WAIT_SECONDS
        self._pause = FIRST_PAUSE_SECONDS

    def expired(self) -> bool:
        return time.monotonic() >= self._deadline

    async def pause(self) -> None:
        """Gives the loop away: 1 ms, doubling up to 50 ms."""
        await asyncio.sleep(self._pause)
        self._pause = min(self._pause * 2, LONGEST_PAUSE_SECONDS)


class InLoopCursor:
    """aiosqlite's cursor surface over a `sqlite3.Cursor`; every call runs at once."""

    def __init__(self, owner: InLoopConnection, cursor: sqlite3.Cursor) -> None:
        self._owner = owner
        self._cursor = cursor

    async def __aenter__(self) -> InLoopCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = ()) -> InLoopCursor:
        await self._owner.run_giving_way(lambda: self._cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InLoopCursor:
        rows = list(parameters)  # an iterator could not be replayed after a lock
        await self._owner.run_giving_way(lambda: self._cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def nextset(self) -> None:
        return None

    async def setinputsizes(self, *_sizes: Any) -> None:
        return None


class _CursorContext:
    """What `InLoopConnection.cursor()` returns: awaitable, or entered with `async with`."""

    def __init__(self, cursor: InLoopCursor) -> None:
        self._cursor = cursor

    def __await__(self) -> Any:
        return self._cursor.__aenter__().__await__()

    async def __aenter__(self) -> InLoopCursor:
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        await self._cursor.__aexit__(*exc)


class InLoopConnection:
    """aiosqlite's connection surface over a `sqlite3.Connection` used on the event loop."""

    def __init__(
        self, connection: sqlite3.Connection, checkpointer: WalCheckpointer | None = None
    ) -> None:
        self._conn = connection
        self._changes_at_begin = 0
        self._checkpointer = checkpointer

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._conn.isolation_level = cast(Any, value)

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    def cursor(self) -> _CursorContext:
        return _CursorContext(InLoopCursor(self, self._conn.cursor()))

    async def run_giving_way(self, call: Callable[[], object]) -> None:
        """Runs `call`; while the database is locked and nothing was written yet, waits, retries."""
        waits = _LockWaits()
        while True:
            if not self._conn.in_transaction:
                self._changes_at_begin = self._conn.total_changes
            try:
                call()
                return
            except sqlite3.OperationalError as error:
                wrote = self._conn.total_changes != self._changes_at_begin
                if wrote or not _is_locked(error) or waits.expired():
                    raise
            if self._conn.in_transaction:
                self._conn.rollback()  # nothing written in it yet: start afresh after the wait
            await waits.pause()

    async def commit(self) -> None:
        """Commits; a COMMIT refused by a lock (readers, outside WAL) stays open and is retried."""
        wrote = self._conn.in_transaction  # the driver opens a transaction only to write
        waits = _LockWaits()
        while True:
            try:
                self._conn.commit()
                break
            except sqlite3.OperationalError as error:
                if not _is_locked(error) or waits.expired():
                    raise
            await waits.pause()
        if wrote and self._checkpointer is not None:
            self._checkpointer.after_write()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self._conn.close()

    def stop(self) -> None:
        self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)


class _AdaptedConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    @property
    def isolation_level(self) -> str | None:
        return self._connection.isolation_level  # type: ignore[no-any-return]

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._connection.isolation_level = value

    def rollback(self) -> None:
        super(AsyncAdapt_aiosqlite_connection, self).rollback()

    def commit(self) -> None:
        super(AsyncAdapt_aiosqlite_connection, self).commit()


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *args: Any, **kwargs: Any) -> _AdaptedConnection:
        kwargs.pop("async_creator_fn", None)
        kwargs["timeout"] = 0  # a locked database gives way on the loop (run_giving_way)
        kwargs["check_same_thread"] = False  # the loop may move between threads in tests
        connection = sqlite3.connect(*args, **kwargs)
        connection.execute("PRAGMA wal_autocheckpoint=0")  # WalCheckpointer does it off the loop
        database = str(args[0] if args else kwargs.get("database", ""))
        checkpointer = checkpointer_for(database, bool(kwargs.get("uri", False)))
        adapted = cast("AsyncIODBAPIConnection", InLoopConnection(connection, checkpointer))
        return _AdaptedConnection(self, adapted)


def _driver_module() -> types.ModuleType:
    """The module SQLAlchemy reads the DB-API names from: sqlite3's, with this driver's class."""
    module = types.ModuleType("bot.storage.sqlite_inloop.dbapi")
    for name in dir(sqlite3):
        if not name.startswith("_"):
            setattr(module, name, getattr(sqlite3, name))
    module.Connection = InLoopConnection  # type: ignore[attr-defined]
    module.__version__ = sqlite3.sqlite_version  # type: ignore[attr-defined]
    return module


class SQLiteDialect_inloop(SQLiteDialect_aiosqlite):
    """The aiosqlite dialect of SQLAlchemy with `InLoopConnection` instead of aiosqlite."""

    driver = DRIVER
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> _DBAPI:
        return _DBAPI(_driver_module(), sqlite3)


def register() -> None:
    """Makes `sqlite+inloop://` known to `create_engine` (idempotent)."""
    registry.register(f"sqlite.{DRIVER}", __name__, "SQLiteDialect_inloop")


__all__: Sequence[str] = (
    "DRIVER",
    "InLoopConnection",
    "SQLiteDialect_inloop",
    "register",
)
