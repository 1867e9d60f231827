"""Quiet hours in the recipient's local time: SMS due at night wait for the morning.

Galápagos (province 20) is on UTC−6, the mainland on UTC−5: the recipient's zone comes from the
province of the parish on record for the phone (beneficiary registry, contact or subscription).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Beneficiary, Canton, Contact, Parish, Province, Subscription


def is_quiet(local: time, start: time, end: time) -> bool:
    """True when a local wall-clock time falls in the quiet window [start, end)."""
    if start == end:
        return False
    if start > end:  # the window crosses midnight, e.g. 20:00–07:00
        return local >= start or local < end
    return start <= local < end


def next_allowed(moment: datetime, zone: ZoneInfo, start: time, end: time) -> datetime:
    """Returns `moment` if it is outside quiet hours in `zone`, else the end of the quiet window."""
    local = moment.astimezone(zone)
    if not is_quiet(local.timetz().replace(tzinfo=None), start, end):
        return moment
    day = local.date()
    if start > end and local.time() >= start:
        day += timedelta(days=1)
    return datetime.combine(day, end, zone).astimezone(moment.tzinfo)


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


def zones_quiet_now(moment: datetime, zones: Iterable[ZoneInfo], start: time, end: time) -> bool:
    """True when it is quiet time in any of `zones` (cheap check before per-phone lookups)."""
    return any(is_quiet(moment.astimezone(zone).time(), start, end) for zone in zones)
