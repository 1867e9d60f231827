"""`INSERT … ON CONFLICT DO NOTHING` on PostgreSQL and SQLite alike (the one dialect switch).

Both dialects spell it the same way but through their own `insert` construct; callers that must
not race (two processes creating the same contact, a job queueing a message twice) use this one
helper instead of choosing the dialect themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.dml import Insert


def insert_ignore_statement(
    session: AsyncSession, target: type[DeclarativeBase] | Table, index_elements: Sequence[str]
) -> Insert:
    """The dialect's INSERT into `target` that skips rows conflicting on `index_elements`."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(target).on_conflict_do_nothing(index_elements=list(index_elements))


async def insert_ignore(
    session: AsyncSession,
    target: type[DeclarativeBase] | Table,
    values: dict[str, Any],
    index_elements: Sequence[str],
) -> None:
    """Inserts one row unless one with the same `index_elements` exists (a concurrent one wins)."""
    await session.execute(insert_ignore_statement(session, target, index_elements).values(values))
