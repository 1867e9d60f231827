"""What district staff read: the case queue and the district's figures, always authorised."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.staff import StaffScope
from bot.services import audit
from bot.services.authz import Action, authorize
from bot.services.verification import ACTION as PAYMENT_LOOKUP
from bot.storage.models import (
    AuditEntry,
    Beneficiary,
    Canton,
    Case,
    Commitment,
    Contact,
    Conversation,
    InPersonNotice,
    OutboxMessage,
    Parish,
    Subscription,
)

OPEN_CASE_STATUSES = ("nuevo", "en_verificacion")
SENT = ("sent", "delivered")
FAILED = ("failed", "undelivered", "error")


def district_parishes(district_code: str) -> Select[str]:
    """A subquery of the parish codes a district serves."""
    return select(Parish.code).where(
        Parish.canton_code.in_(select(Canton.code).where(Canton.district_code == district_code))
    )


async def district_cases(
    session: AsyncSession,
    scope: StaffScope | None,
    district_code: str | None,
    *,
    now: datetime,
    only_open: bool = True,
    limit: int = 20,
) -> list[Case]:
    """The district's case queue, oldest due first; refuses districts outside the scope.

    `district_code=None` is the national queue (places without a district), which only
    national roles may read.
    """
    await authorize(session, scope, Action.VIEW_CASES, now=now, district_code=district_code)
    query = select(Case).where(
        Case.district_code == district_code
        if district_code is not None
        else Case.district_code.is_(None)
    )
    if only_open:
        query = query.where(Case.status.in_(OPEN_CASE_STATUSES))
    query = query.order_by(Case.due_on, Case.id).limit(limit)
    return list(await session.scalars(query))


async def district_commitments(
    session: AsyncSession, scope: StaffScope | None, district_code: str, *, now: datetime
) -> list[Commitment]:
    """The commitments of the district's parishes, not yet fulfilled first."""
    await authorize(session, scope, Action.VIEW_COMMITMENTS, now=now, district_code=district_code)
    query = (
        select(Commitment)
        .where(Commitment.parish_code.in_(district_parishes(district_code)))
        .order_by(Commitment.status == "cumplido", Commitment.deadline, Commitment.id)
    )
    return list(await session.scalars(query))


@dataclass(frozen=True)
class DistrictStats:
    """A district's figures over a period."""

    since: datetime
    conversations: int
    lookups: int
    cases_open: int
    cases_total: int
    sms_sent: int
    sms_delivered: int
    sms_failed: int
    # Beside SMS: Telegram messages sent, and families a technician informed in person.
    telegram_sent: int = 0
    in_person: int = 0


async def _count(session: AsyncSession, query: object) -> int:
    return int(await session.scalar(query) or 0)  # type: ignore[call-overload]


async def _payment_lookups(session: AsyncSession, parishes: Select[str], since: datetime) -> int:
    """Payment-status lookups since `since` of cédulas registered in the district's parishes.

    A lookup's audit entry names its cédula only by pseudonym (`verification.verify`), so the
    district's cédulas are pseudonymised with the same key and matched; a lookup of a cédula that
    is not in the registry belongs to no district.
    """
    key = audit.session_key(session)
    registered = select(Beneficiary.cedula).where(Beneficiary.parish_code.in_(parishes))
    targets = {audit.pseudonym(c, key) for c in await session.scalars(registered.distinct())}
    if not targets:
        return 0
    per_target = await session.execute(
        select(AuditEntry.target, func.count())
        .where(AuditEntry.action == PAYMENT_LOOKUP, AuditEntry.at >= since)
        .group_by(AuditEntry.target)
    )
    return sum(count for target, count in per_target if target in targets)


async def district_stats(
    session: AsyncSession,
    scope: StaffScope | None,
    district_code: str,
    *,
    now: datetime,
    days: int = 30,
) -> DistrictStats:
    """Conversations, look-ups, cases and SMS outcomes of a district over the last `days`."""
    await authorize(session, scope, Action.VIEW_STATS, now=now, district_code=district_code)
    since = now - timedelta(days=days)
    parishes = district_parishes(district_code)
    conversations = await _count(
        session,
        select(func.count())
        .select_from(Conversation)
        .join(
            Contact,
            (Contact.channel == Conversation.channel) & (Contact.address == Conversation.address),
        )
        .where(Contact.parish_code.in_(parishes), Conversation.updated_at >= since),
    )
    lookups = await _payment_lookups(session, parishes, since)
    cases_total = await _count(
        session, select(func.count()).select_from(Case).where(Case.district_code == district_code)
    )
    cases_open = await _count(
        session,
        select(func.count())
        .select_from(Case)
        .where(Case.district_code == district_code, Case.status.in_(OPEN_CASE_STATUSES)),
    )
    registry_phones = select(Beneficiary.mobile).where(Beneficiary.parish_code.in_(parishes))
    subscriber_phones = select(Subscription.address).where(
        Subscription.channel == "sms", Subscription.parish_code.in_(parishes)
    )
    sms = (
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.channel == "sms",
            OutboxMessage.created_at >= since,
            or_(
                OutboxMessage.address.in_(registry_phones),
                OutboxMessage.address.in_(subscriber_phones),
            ),
        )
    )
    sent = await _count(
        session,
        sms.where(or_(OutboxMessage.status.in_(SENT), OutboxMessage.provider_status.in_(SENT))),
    )
    delivered = await _count(
        session,
        sms.where(
            or_(OutboxMessage.status == "delivered", OutboxMessage.provider_status == "delivered")
        ),
    )
    failed = await _count(
        session,
        sms.where(or_(OutboxMessage.status.in_(FAILED), OutboxMessage.provider_status.in_(FAILED))),
    )
    telegram_chats = select(Contact.address).where(
        Contact.channel == "telegram", Contact.parish_code.in_(parishes)
    )
    telegram_subscribers = select(Subscription.address).where(
        Subscription.channel == "telegram", Subscription.parish_code.in_(parishes)
    )
    telegram = await _count(
        session,
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.channel == "telegram",
            OutboxMessage.created_at >= since,
            OutboxMessage.status.in_(SENT),
            or_(
                OutboxMessage.address.in_(telegram_chats),
                OutboxMessage.address.in_(telegram_subscribers),
            ),
        ),
    )
    in_person = await _count(
        session,
        select(func.count())
        .select_from(InPersonNotice)
        .where(InPersonNotice.parish_code.in_(parishes), InPersonNotice.informed_at >= since),
    )
    return DistrictStats(
        since,
        conversations,
        lookups,
        cases_open,
        cases_total,
        sent,
        delivered,
        failed,
        telegram_sent=telegram,
        in_person=in_person,
    )
