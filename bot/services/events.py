"""Parish events as citizens see them: what is coming to my parish."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Event

EVENT_KINDS = ("brigada_social", "dialogo_ciudadano", "sensibilizacion", "feria")


async def upcoming_events(
    session: AsyncSession,
    parish_code: str,
    now: datetime,
    *,
    kind: str | None = None,
    limit: int = 5,
) -> list[Event]:
    """Returns the parish's next events (not cancelled), soonest first."""
    query = (
        select(Event)
        .where(
            Event.parish_code == parish_code, Event.starts_at >= now, Event.cancelled_at.is_(None)
        )
        .order_by(Event.starts_at)
        .limit(limit)
    )
    if kind is not None:
        query = query.where(Event.kind == kind)
    return list(await session.scalars(query))
