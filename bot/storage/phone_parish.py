"""The parish on record for a phone: the one answer to «where does this number live?».

Asked for an SMS sender's parish (EVENTOS answers with that parish's events) and for a recipient's
time zone (quiet hours in Galápagos are an hour later). The registry knows best, then what the
citizen subscribed for, then what the contact told us (by phone, or as the SMS contact itself).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Beneficiary, Contact, Subscription

_CHUNK = 500  # phones per IN (…) list


def _sources(phones: list[str]) -> tuple[Select[Any, Any], ...]:
    """The (phone, parish) sources, best first."""
    return (
        select(Beneficiary.mobile, Beneficiary.parish_code).where(
            Beneficiary.mobile.in_(phones), Beneficiary.parish_code.is_not(None)
        ),
        select(Subscription.address, Subscription.parish_code).where(
            Subscription.channel == "sms", Subscription.address.in_(phones)
        ),
        select(Contact.phone, Contact.parish_code).where(
            Contact.phone.in_(phones), Contact.parish_code.is_not(None)
        ),
        select(Contact.address, Contact.parish_code).where(
            Contact.channel == "sms", Contact.address.in_(phones), Contact.parish_code.is_not(None)
        ),
    )


async def parishes_of_phones(session: AsyncSession, phones: Iterable[str]) -> dict[str, str]:
    """Maps each phone with a parish on record to that parish (phones without one are left out)."""
    wanted = sorted(set(phones))
    parish_of: dict[str, str] = {}
    for start in range(0, len(wanted), _CHUNK):
        for query in _sources(wanted[start : start + _CHUNK]):
            for phone, parish in (await session.execute(query)).all():
                if phone is not None and parish:
                    parish_of.setdefault(phone, parish)
    return parish_of


async def parish_of_phone(session: AsyncSession, phone: str) -> str | None:
    """The parish on record for one phone, if any."""
    return (await parishes_of_phones(session, [phone])).get(phone)
