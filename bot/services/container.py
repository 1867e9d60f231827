"""The services every adapter receives, built once from the settings (the composition root)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.services import audit
from bot.services.audit_key import load_audit_key
from bot.services.clock import Clock, utc_now
from bot.services.territory import TerritoryDirectory
from bot.storage.db import SessionFactory, create_engine, create_session_factory


@dataclass
class Services:
    """Settings, database and shared read-only data; no connection lives outside this object."""

    settings: Settings
    engine: AsyncEngine
    session_factory: SessionFactory
    territory: TerritoryDirectory
    clock: Clock = utc_now
    extras: dict[str, Any] = field(default_factory=dict)

    async def close(self) -> None:
        """Releases the database connections."""
        await self.engine.dispose()


def audited_session_factory(engine: AsyncEngine, settings: Settings) -> SessionFactory:
    """A session factory whose sessions carry the audit pseudonym key (`audit.bind_key`).

    Raises `MissingSetting` when production has no `AUDIT_PSEUDONYM_KEY`.
    """
    factory = create_session_factory(engine)
    audit.bind_key(factory, load_audit_key(settings))
    return factory


async def build_services(settings: Settings, *, clock: Clock = utc_now) -> Services:
    """Connects to the database and loads the territory directory.

    Raises `MissingSetting` before connecting when production has no `AUDIT_PSEUDONYM_KEY`.
    """
    key = load_audit_key(settings)
    engine = create_engine(settings.database_url, concurrency=settings.max_concurrent_updates)
    factory = create_session_factory(engine)
    audit.bind_key(factory, key)
    async with factory() as session:
        territory = await TerritoryDirectory.load(session)
    return Services(
        settings=settings, engine=engine, session_factory=factory, territory=territory, clock=clock
    )
