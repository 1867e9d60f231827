"""Test databases: a migrated SQLite template copied per test, or a truncated PostgreSQL database.

Set TEST_DATABASE_URL (postgresql+asyncpg://...) to run the whole suite on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

from sqlalchemy import text

from bot.storage.db import create_engine, create_session_factory
from bot.storage.migrate import upgrade
from bot.storage.models import Base
from bot.storage.reference_data import load_reference_data

REFERENCE_TABLES = {"provinces", "zones", "districts", "cantons", "parishes", "alembic_version"}


def postgres_url() -> str | None:
    """The PostgreSQL URL the suite runs against, if any."""
    return os.environ.get("TEST_DATABASE_URL") or None


async def _load_reference(url: str) -> None:
    engine = create_engine(url)
    async with create_session_factory(engine)() as session, session.begin():
        await load_reference_data(session)
    await engine.dispose()


def build_template(directory: Path) -> str:
    """Migrates and loads reference data once; returns the template's URL."""
    pg = postgres_url()
    if pg is not None:
        asyncio.run(_reset_postgres(pg))
        upgrade(pg)
        asyncio.run(_load_reference(pg))
        return pg
    path = directory / "template.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    asyncio.run(_load_reference(url))
    return url


async def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def fresh_database(template_url: str, directory: Path) -> str:
    """Returns a URL to an empty-but-migrated database with reference data, for one test."""
    if template_url.startswith("postgresql"):
        tables = [t.name for t in Base.metadata.sorted_tables if t.name not in REFERENCE_TABLES]
        engine = create_engine(template_url)
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        await engine.dispose()
        return template_url
    source = Path(template_url.removeprefix("sqlite+aiosqlite:///"))
    target = directory / "test.db"
    shutil.copyfile(source, target)
    return f"sqlite+aiosqlite:///{target}"
