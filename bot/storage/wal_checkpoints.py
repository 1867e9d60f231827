"""WAL checkpoints of a SQLite database on a worker thread, never on the event loop.

SQLite's own automatic checkpoint runs inside the COMMIT that crosses 1,000 WAL pages and syncs
the database file: with statements on the event loop (`bot/storage/sqlite_inloop.py`) that is
tens of milliseconds during which every conversation would stand still (measured: open loop at
100 updates/s, p99 131 ms with it, 9.5 ms without). In-loop connections turn it off
(`PRAGMA wal_autocheckpoint=0`); after a writing commit, `WalCheckpointer.after_write` runs
`PRAGMA wal_checkpoint(PASSIVE)` (it waits for no reader or writer) on a connection of its own
in a worker thread, at most once every `CHECKPOINT_EVERY_SECONDS`. A WAL left behind at exit is
durable; SQLite checkpoints it when the last connection closes or the next process opens it.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from pathlib import Path

log = logging.getLogger(__name__)

CHECKPOINT_EVERY_SECONDS = 1.0
LOCK_WAIT_SECONDS = 30.0


class WalCheckpointer:
    """Copies one database file's WAL back into the file, from a worker thread."""

    def __init__(self, database: str, uri: bool) -> None:
        self.database = database
        self.uri = uri
        self.last_started = float("-inf")
        self.completed = 0
        self._task: asyncio.Future[None] | None = None

    def after_write(self) -> None:
        """Starts a checkpoint in a thread unless one runs or one started less than a period ago."""
        loop = asyncio.get_running_loop()
        task = self._task
        if task is not None and not task.done() and task.get_loop() is loop:
            return
        now = time.monotonic()
        if now - self.last_started < CHECKPOINT_EVERY_SECONDS:
            return
        self.last_started = now
        self._task = asyncio.ensure_future(asyncio.to_thread(self.checkpoint))

    async def wait(self) -> None:
        """Waits for the checkpoint under way in this event loop, if any."""
        task = self._task
        if task is not None and task.get_loop() is asyncio.get_running_loop():
            await asyncio.shield(task)

    def checkpoint(self) -> None:
        """One passive checkpoint (blocking: call it from a worker thread)."""
        try:
            target = self.database if self.uri else Path(self.database).resolve().as_uri()
            # mode=rw: a database removed meanwhile is not created again, empty.
            mode = "" if self.uri else "?mode=rw"
            connection = sqlite3.connect(target + mode, uri=True, timeout=LOCK_WAIT_SECONDS)
            try:
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            finally:
                connection.close()
            self.completed += 1
        except sqlite3.Error as error:  # the next writing commit tries again
            log.warning("WAL checkpoint of the SQLite database failed: %s", error)


_checkpointers: dict[tuple[str, bool], WalCheckpointer] = {}


def checkpointer_for(database: str, uri: bool = False) -> WalCheckpointer | None:
    """The process's checkpointer of one database file (None for an in-memory database)."""
    if database in ("", ":memory:") or (uri and "mode=memory" in database):
        return None
    key = (database, uri)
    if key not in _checkpointers:
        _checkpointers[key] = WalCheckpointer(database, uri)
    return _checkpointers[key]
