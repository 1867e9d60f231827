"""The repeat keys of a registry import kept on disk, so its memory does not grow with the file.

A cédula + programme repeated anywhere in the file is refused after its first row, so an import
must remember every key it has read: as a Python set, ≈ 70 bytes a key, the one part of a
1,000,000-row import that grew with the file (100k rows → 1M: +65 MB). `DiskKeys` keeps them in
a private temporary SQLite database (an empty file name: on disk, and SQLite unlinks the file as
soon as it opens it, so nothing of it is left even after a crash; its page cache bounded by
`CACHE_KIB`) and answers one batch at a time: its keys are inserted, in key
order, by one statement and, only when that meets a key held already, looked up by one more to
say which (≈ 1.2 µs a key).
"""

from __future__ import annotations

import sqlite3
from types import TracebackType

# SQLite's page cache for the keys: bounds the memory (1,000,000 keys take ≈ 16 MB of pages).
CACHE_KIB = 16 * 1024
_INSERT = "INSERT INTO seen SELECT value FROM json_each(?)"
_INSERT_NEW = "INSERT OR IGNORE INTO seen SELECT value FROM json_each(?)"
_HELD = "SELECT key FROM seen WHERE key IN (SELECT value FROM json_each(?))"


class DiskKeys:
    """`EarlierKeys` (bot.domain.registry_fast_path) on a temporary SQLite table of ints."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("", isolation_level=None)  # "": a private temp file
        # Nothing to recover after a crash (the import starts again): no syncs; the journal in
        # memory (one batch's pages at most) so a failed insert is rolled back.
        self._db.execute("PRAGMA journal_mode = MEMORY")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        self._db.execute("CREATE TABLE seen (key INTEGER PRIMARY KEY)")

    def __call__(self, keys: list[int]) -> set[int]:
        """The keys of `keys` recorded by an earlier call; records `keys`.

        The common batch repeats nothing: its keys, in key order and as one JSON array that
        SQLite unpacks itself (`json_each`), are inserted by one statement. Only when that meets
        a key held already (the insert fails and is rolled back) are they looked up.
        """
        array = "[" + ",".join(map(str, sorted(keys))) + "]"
        try:
            self._db.execute("BEGIN")
            self._db.execute(_INSERT, (array,))
            self._db.execute("COMMIT")
            return set()
        except sqlite3.IntegrityError:
            self._db.execute("ROLLBACK")
        found = {k for (k,) in self._db.execute(_HELD, (array,))}
        self._db.execute("BEGIN")
        self._db.execute(_INSERT_NEW, (array,))
        self._db.execute("COMMIT")
        return found

    def close(self) -> None:
        """Deletes the temporary database."""
        self._db.close()

    def __enter__(self) -> DiskKeys:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
