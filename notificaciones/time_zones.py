"""The time zone of each recipient: the province of the parish on record for a phone or parish.

Galápagos (province 20) is on UTC−6, the mainland on UTC−5: the recipient's zone comes from the
province of the parish on record for the phone (beneficiary registry, contact or subscription).
"""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Beneficiary, Canton, Contact, Parish, Province, Subscription


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
    parish_of: dict[str, str] = {}
    for chunk_start in range(0, len(wanted), 500):
        chunk = wanted[chunk_start : chunk_start + 500]
        for query in (
            select(Beneficiary.mobile, Beneficiary.parish_code).where(
                Beneficiary.mobile.in_(chunk), Beneficiary.parish_code.is_not(None)
            ),
            select(Subscription.address, Subscription.parish_code).where(
                Subscription.channel == "sms", Subscription.address.in_(chunk)
            ),
            select(Contact.phone, Contact.parish_code).where(
                Contact.phone.in_(chunk), Contact.parish_code.is_not(None)
            ),
        ):
            for phone, parish in (await session.execute(query)).all():
                if phone is not None and parish is not None:
                    parish_of.setdefault(phone, parish)
    zones = await parish_zones(session, parish_of.values())
    return {phone: zones.get(parish_of.get(phone, ""), default) for phone in wanted}
