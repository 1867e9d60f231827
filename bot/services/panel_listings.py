"""Lists the panel shows that no other service had: coming events and broadcasts in a territory.

Both are scoped the same way as cases (`districts_in_scope`): an event belongs to the district of
its parish; a broadcast to every district its audience reaches (a national one, or one reaching
a place without a district, to national roles only).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import N_, NotFound
from bot.domain.staff import StaffScope
from bot.services.authz import Action, authorize
from bot.services.broadcasts import serving_districts
from bot.services.cases import districts_in_scope
from bot.storage.models import Broadcast, Canton, Event, Parish
from notificaciones.audiences import Audience


async def coming_events(
    session: AsyncSession, scope: StaffScope, *, now: datetime, limit: int = 200
) -> list[Event]:
    """Events not cancelled from now on, in parishes of `scope`'s territory, soonest first."""
    query = select(Event).where(Event.starts_at >= now, Event.cancelled_at.is_(None))
    allowed = await districts_in_scope(session, scope)
    if allowed is not None:
        served = (
            select(Parish.code)
            .join(Canton, Canton.code == Parish.canton_code)
            .where(Canton.district_code.in_(allowed))
        )
        query = query.where(Event.parish_code.in_(served))
    return list(await session.scalars(query.order_by(Event.starts_at, Event.id).limit(limit)))


async def _districts_of(session: AsyncSession, broadcast: Broadcast) -> set[str | None]:
    audience = Audience.from_json(broadcast.audience)
    return {None} if audience.national else await serving_districts(session, audience)


async def recent_broadcasts(
    session: AsyncSession, scope: StaffScope, *, limit: int = 30
) -> list[Broadcast]:
    """The latest broadcasts whose whole audience lies in `scope`'s territory, newest first."""
    allowed = await districts_in_scope(session, scope)
    rows = await session.scalars(
        select(Broadcast)
        .order_by(Broadcast.created_at.desc(), Broadcast.id.desc())
        .limit(limit * 4 if allowed is not None else limit)
    )
    shown: list[Broadcast] = []
    for row in rows:
        if allowed is None or (await _districts_of(session, row)) <= set(allowed):
            shown.append(row)
        if len(shown) >= limit:
            break
    return shown


async def authorize_broadcast(
    session: AsyncSession,
    scope: StaffScope,
    broadcast_id: int,
    *,
    now: datetime,
    action: Action = Action.VIEW_STATS,
) -> Broadcast:
    """The broadcast when `action` is allowed on every district it reaches; else audits, raises."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFound(N_("No existe la difusión {id}."), id=broadcast_id)
    districts = await _districts_of(session, broadcast)
    for district in sorted(districts, key=lambda d: d or ""):
        await authorize(session, scope, action, now=now, district_code=district)
    return broadcast
