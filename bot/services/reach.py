"""How the ministry reached each parish: SMS and Telegram messages sent, families told in person.

The seed report's citizens asked to be reached through the technicians who visit, because the
parish has poor phone coverage: a delivery report that counts only SMS and Telegram would show
those parishes as unreached. A technician's «informed in person» (`in_person_notices`) counts
beside them. Messages belong to the parish of the phone (registry or SMS subscription) or of the
Telegram chat (the contact's parish or its subscription).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Beneficiary, Contact, InPersonNotice, OutboxMessage, Subscription

SENT_STATUSES = ("sent",)


@dataclass(frozen=True)
class Reach:
    """One parish's figures over a period."""

    parish_code: str
    sms: int
    telegram: int
    in_person: int


async def reach_by_parish(
    session: AsyncSession, parishes: Sequence[str], start: datetime, end: datetime
) -> list[Reach]:
    """SMS and Telegram sent and in-person notices in [start, end), per parish with any."""
    codes = sorted(set(parishes))
    if not codes:
        return []
    parish_of = union(
        select(Beneficiary.mobile.label("address"), Beneficiary.parish_code.label("parish")).where(
            Beneficiary.mobile.is_not(None), Beneficiary.parish_code.in_(codes)
        ),
        select(Subscription.address, Subscription.parish_code).where(
            Subscription.parish_code.in_(codes)
        ),
        select(Contact.address, Contact.parish_code).where(
            Contact.channel == "telegram", Contact.parish_code.in_(codes)
        ),
    ).subquery()
    sent = await session.execute(
        select(
            parish_of.c.parish, OutboxMessage.channel, func.count(func.distinct(OutboxMessage.id))
        )
        .join(parish_of, parish_of.c.address == OutboxMessage.address)
        .where(
            OutboxMessage.created_at >= start,
            OutboxMessage.created_at < end,
            OutboxMessage.channel.in_(("sms", "telegram")),
            or_(
                OutboxMessage.status.in_(SENT_STATUSES),
                OutboxMessage.provider_status.in_(("delivered", "read")),
            ),
        )
        .group_by(parish_of.c.parish, OutboxMessage.channel)
    )
    sms: Counter[str] = Counter()
    telegram: Counter[str] = Counter()
    for parish, channel, count in sent.all():
        (sms if channel == "sms" else telegram)[str(parish)] += int(count)
    notices = await session.execute(
        select(InPersonNotice.parish_code, func.count())
        .where(
            InPersonNotice.parish_code.in_(codes),
            InPersonNotice.informed_at >= start,
            InPersonNotice.informed_at < end,
        )
        .group_by(InPersonNotice.parish_code)
    )
    in_person = Counter({str(parish): int(count) for parish, count in notices.all()})
    found = set(sms) | set(telegram) | set(in_person)
    return [Reach(c, sms[c], telegram[c], in_person[c]) for c in codes if c in found]
