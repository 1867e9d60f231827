"""`INSERT … ON CONFLICT` on PostgreSQL and SQLite alike (the one dialect switch).

Both dialects spell it the same way but through their own `insert` construct; callers that must
not race (two processes creating the same contact, a job queueing a message twice) use this one
helper instead of choosing the dialect themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.dml import Insert


def dialect_insert(dialect_name: str) -> Callable[[Any], PgInsert | SqliteInsert]:
    """The `insert` construct of the dialect, the one that knows ON CONFLICT."""
    return pg_insert if dialect_name == "postgresql" else sqlite_insert


@cache
def _insert_ignore(
    dialect_name: str, target: type[DeclarativeBase] | Table, index_elements: tuple[str, ...]
) -> Insert:
    insert = dialect_insert(dialect_name)
    return insert(target).on_conflict_do_nothing(index_elements=list(index_elements))


def insert_ignore_statement(
    session: AsyncSession, target: type[DeclarativeBase] | Table, index_elements: Sequence[str]
) -> Insert:
    """The dialect's INSERT into `target` that skips rows conflicting on `index_elements`.

    Built once per dialect and target (execute it with the row as parameters, so its compiled
    form is reused; `.values(...)` makes a new statement every time).
    """
    return _insert_ignore(session.get_bind().dialect.name, target, tuple(index_elements))


async def insert_ignore(
    session: AsyncSession,
    target: type[DeclarativeBase] | Table,
    values: dict[str, Any],
    index_elements: Sequence[str],
) -> None:
    """Inserts one row unless one with the same `index_elements` exists (a concurrent one wins)."""
    await session.execute(insert_ignore_statement(session, target, index_elements), values)
