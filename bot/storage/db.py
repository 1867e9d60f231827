"""Engine and session factory built from the settings; no module-level connections."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.log_privacy import cap_library_logs
from bot.storage import sqlite_inloop

SessionFactory = async_sessionmaker[AsyncSession]

DEFAULT_CONCURRENCY = 10
SPARE_CONNECTIONS = 8  # beyond the updates' share: scheduler jobs, outbox dispatcher, webhooks
POOL_TIMEOUT_SECONDS = 10
# SQLite has one writer at a time: more connections only add lock waits and retries (measured
# with aiosqlite: 4 connections 3.6 ms CPU/message, 32 connections 4.8 ms). Updates beyond these
# wait for a connection as they would wait for the write lock (same 30 s limit).
SQLITE_CONNECTIONS = 4


def is_sqlite(url: str) -> bool:
    """True when the URL names a SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def pool_options(url: str, concurrency: int) -> dict[str, Any]:
    """Pool settings so that `concurrency` units of work never wait for a connection.

    PostgreSQL: `pool_size` equals the concurrency (the Telegram adapter's
    `max_concurrent_updates`), plus a few overflow connections for background jobs; a wait
    longer than the timeout is a bug. SQLite: at most `SQLITE_CONNECTIONS`, waiting as long as
    for its write lock. In-memory SQLite keeps SQLAlchemy's own single-connection pool.
    """
    parsed = make_url(url)
    if is_sqlite(url):
        if parsed.database in (None, "", ":memory:"):
            return {}
        return {
            "pool_size": min(concurrency, SQLITE_CONNECTIONS),
            "max_overflow": 0,
            "pool_timeout": sqlite_inloop.LOCK_WAIT_SECONDS,
        }
    return {
        "pool_size": concurrency,
        "max_overflow": SPARE_CONNECTIONS,
        "pool_timeout": POOL_TIMEOUT_SECONDS,
    }


def engine_url(url: str) -> URL:
    """The URL the engine is built with: SQLite runs on the event loop (`sqlite_inloop`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":  # `sqlite://`, `sqlite+aiosqlite://`, …
        sqlite_inloop.register()
        return parsed.set(drivername=f"sqlite+{sqlite_inloop.DRIVER}")
    return parsed


def create_engine(
    url: str, *, echo: bool = False, concurrency: int = DEFAULT_CONCURRENCY
) -> AsyncEngine:
    """Creates the async engine sized for `concurrency`; SQLite gets WAL and waits for locks."""
    # hide_parameters: a failed statement's message never carries its values (a cédula, a
    # citizen's message) into a log or a traceback.
    kwargs: dict[str, Any] = {
        "echo": echo,
        "hide_parameters": True,
        **pool_options(url, concurrency),
    }
    if not is_sqlite(url):
        kwargs["pool_pre_ping"] = True
    if not echo:
        cap_library_logs()  # at DEBUG SQLAlchemy logs result rows: cédulas, birth dates
    engine = create_async_engine(engine_url(url), **kwargs)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    """Returns the session factory every service receives."""
    return async_sessionmaker(engine, expire_on_commit=False)


class StorageUnavailable(Exception):
    """The database cannot be reached (or is overloaded) just now: try the same work later."""


# SQLSTATE classes that say "not now" rather than "never": connection exceptions (08), operator
# intervention such as a shutdown or a restart (57P), insufficient resources such as too many
# connections (53), a serialization failure or a deadlock (40).
_TRANSIENT_SQLSTATES = ("08", "57P", "53", "40")
_SQLITE_TRANSIENT = ("locked", "busy", "unable to open", "disk i/o")


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` means the database is unreachable or busy, so the work can be retried.

    True for a refused or dropped connection (an `OSError` anywhere in the chain), a connection
    SQLAlchemy invalidated, a pool that gave no connection in time, PostgreSQL's transient
    SQLSTATEs and SQLite's lock or open failures; False for errors a retry would repeat.
    """
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError | exc.TimeoutError | StorageUnavailable):
            return True
        if isinstance(current, exc.DBAPIError) and current.connection_invalidated:
            return True
        sqlstate = getattr(current, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_TRANSIENT_SQLSTATES):
            return True
        if type(current).__module__.startswith("sqlite3") or isinstance(
            current, exc.OperationalError
        ):
            message = str(current).lower()
            if any(word in message for word in _SQLITE_TRANSIENT):
                return True
        orig = getattr(current, "orig", None)
        pending.extend(
            [
                current.__cause__,
                current.__context__,
                orig if isinstance(orig, BaseException) else None,
            ]
        )
    return False
