"""PostgreSQL's fast path for the registry import: COPY a batch into a staging table, then merge.

The SQLite path stays in `registry_import` and the row checks in `bot.domain.registry_rows`
and `bot.domain.registry_fast_path`; this module only changes how a batch of already checked
rows reaches `beneficiaries` on PostgreSQL. A multi-row INSERT sends 14 bound parameters a row
through the protocol and plans every chunk; COPY streams the batch into a temporary table, and
one `INSERT … SELECT … ON CONFLICT (cedula, programme) DO UPDATE … WHERE row_hash differs`
merges it (`updated_at` its one parameter; its command tag is the count of changes), so the
result (rows inserted, rows updated, unchanged rows untouched, the count of changes) is the
same as the SQLite path's. The COPY is in text format, each row the line the checks already
built from the values they stored (no per-value encoding in Python: the server parses the dates
and amounts). The staging table lives in the import's own transaction (`ON COMMIT DROP`): a
rolled-back import leaves nothing behind, and concurrent imports each have their own (temporary
tables are per session).

The merge of one batch runs on the server while the caller validates the next one
(`BatchMerger`), so the Python parsing and PostgreSQL's work overlap.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.registry import REGISTRY_COLUMNS
from bot.domain.registry_fast_path import CheckedRow

STAGE = "registry_import_stage"
STAGED = (*REGISTRY_COLUMNS, "row_hash")  # the COPY text of each row (CheckedRow's last value)
_STAGED_LIST = ", ".join(STAGED)
_UPDATED = ", ".join(f"{c} = EXCLUDED.{c}" for c in (*STAGED, "updated_at"))
_CREATE_STAGE = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} ON COMMIT DROP AS "  # noqa: S608
    f"SELECT {_STAGED_LIST} FROM beneficiaries WITH NO DATA"
)
# Both statements are built from the constant column names above, never from input.
# A cédula + programme appears at most once in the file (the checks make a repeat an error), so
# one batch never holds the same key twice and ON CONFLICT never meets a row twice.
# Its command tag (`INSERT 0 <n>`) counts the rows inserted or updated, not those the WHERE
# left alone: the count of changes, without collecting a RETURNING row for each.
_MERGE = (
    f"INSERT INTO beneficiaries ({_STAGED_LIST}, updated_at) "  # noqa: S608
    f"SELECT {_STAGED_LIST}, $1::timestamp FROM {STAGE} "
    f"ON CONFLICT (cedula, programme) DO UPDATE SET {_UPDATED} "
    f"WHERE beneficiaries.row_hash IS DISTINCT FROM EXCLUDED.row_hash"
)


def copy_data(rows: list[CheckedRow]) -> bytes:
    """The rows as COPY text (one line each, built by the checks), UTF-8."""
    return ("\n".join([r[-1] for r in rows]) + "\n").encode()


def _stamp(now: datetime) -> datetime:
    """`updated_at` as `UtcDateTime` stores it: naive UTC."""
    return now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now


class BatchMerger:
    """Copies and merges batches on one PostgreSQL connection, one merge in flight at a time.

    `submit` waits for the previous batch's merge, copies the new batch into the staging table
    and starts its merge without waiting for it; `finish` waits for the last one. Both return
    the rows changed by the merges they waited for.
    """

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._driver: Any = None
        self._pending: asyncio.Task[int] | None = None

    async def _driver_connection(self) -> Any:
        if self._driver is None:
            raw = await self._conn.get_raw_connection()
            self._driver = raw.driver_connection
            await self._conn.execute(text(_CREATE_STAGE))
        return self._driver

    async def _merge(self, stamp: datetime) -> int:
        driver = await self._driver_connection()
        tag = await driver.execute(_MERGE, stamp)
        return int(tag.rsplit(" ", 1)[1])

    async def submit(self, rows: list[CheckedRow], now: datetime) -> int:
        """Stages `rows` and starts merging them; returns what the previous merge changed."""
        changed = await self.finish()
        if not rows:
            return changed
        driver = await self._driver_connection()
        await driver.execute(f"TRUNCATE {STAGE}")
        data = io.BytesIO(copy_data(rows))
        await driver.copy_to_table(STAGE, source=data, columns=STAGED, format="text")
        self._pending = asyncio.ensure_future(self._merge(_stamp(now)))
        await asyncio.sleep(0)  # lets the merge reach the server before the caller computes
        return changed

    async def finish(self) -> int:
        """Waits for the merge in flight, if any; returns the rows it changed."""
        if self._pending is None:
            return 0
        pending, self._pending = self._pending, None
        return await pending

    async def settle(self) -> None:
        """Waits for a merge in flight and drops its outcome (the import is being rolled back).

        The connection must be idle before its transaction can be rolled back.
        """
        if self._pending is not None:
            pending, self._pending = self._pending, None
            with contextlib.suppress(Exception):
                await pending


@contextlib.asynccontextmanager
async def merging(conn: AsyncConnection, *, enabled: bool) -> AsyncIterator[BatchMerger | None]:
    """A `BatchMerger` on PostgreSQL when writing (else None); settles it if the import fails."""
    if not enabled or conn.dialect.name != "postgresql":
        yield None
        return
    merger = BatchMerger(conn)
    try:
        yield merger
    except BaseException:
        await merger.settle()
        raise
