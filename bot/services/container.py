"""The services every adapter receives; `bot.runtime.composition` builds them from settings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.domain.clock import Clock, utc_now
from bot.services.territory import TerritoryDirectory
from bot.storage.db import SessionFactory


@dataclass
class Services:
    """Settings, database and shared read-only data; no connection lives outside this object."""

    settings: Settings
    engine: AsyncEngine
    session_factory: SessionFactory
    territory: TerritoryDirectory
    clock: Clock = utc_now

    async def close(self) -> None:
        """Releases the database connections."""
        await self.engine.dispose()
