"""The time zone of each recipient: the province of the parish on record for a phone or parish.

Galápagos (province 20) is on UTC−6, the mainland on UTC−5: the recipient's zone comes from the
province of the parish on record for the phone (`bot.storage.phone_parish`).
"""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Canton, Parish, Province
from bot.storage.phone_parish import parishes_of_phones


async def parish_zones(session: AsyncSession, parish_codes: Iterable[str]) -> dict[str, ZoneInfo]:
    """Maps parish codes to their province's time zone."""
    codes = sorted(set(parish_codes))
    if not codes:
        return {}
    rows = await session.execute(
        select(Parish.code, Province.timezone)
        .join(Canton, Canton.code == Parish.canton_code)
        .join(Province, Province.code == Canton.province_code)
        .where(Parish.code.in_(codes))
    )
    return {code: ZoneInfo(zone) for code, zone in rows.all()}


async def phone_zones(
    session: AsyncSession, phones: Iterable[str], default: ZoneInfo
) -> dict[str, ZoneInfo]:
    """Maps each phone to the time zone of the parish on record for it (default if none)."""
    wanted = sorted(set(phones))
    parish_of = await parishes_of_phones(session, wanted)
    zones = await parish_zones(session, parish_of.values())
    return {phone: zones.get(parish_of.get(phone, ""), default) for phone in wanted}
