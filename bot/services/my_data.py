"""What the bot keeps about a contact, and erasing it (LOPDP rights of access and deletion)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.storage.models import Case, Contact, DialogueAnswer, Subscription


@dataclass(frozen=True)
class ContactData:
    """A summary of the personal data linked to one contact."""

    channel: str
    locale: str
    created_at: datetime
    consent_at: datetime | None
    parish_code: str | None
    phone_masked: str | None
    subscriptions: tuple[tuple[str, str, str], ...]  # (parish_code, channel, topic)
    case_numbers: tuple[str, ...]
    dialogue_answers: int


async def contact_data(session: AsyncSession, contact: Contact) -> ContactData:
    """Collects what is stored about `contact`."""
    subs = await session.execute(
        select(Subscription.parish_code, Subscription.channel, Subscription.topic).where(
            Subscription.contact_id == contact.id
        )
    )
    cases = await session.scalars(select(Case.number).where(Case.reporter_contact_id == contact.id))
    answers = list(
        await session.scalars(
            select(DialogueAnswer.id).where(DialogueAnswer.contact_id == contact.id)
        )
    )
    phone = contact.phone
    return ContactData(
        channel=contact.channel,
        locale=contact.locale,
        created_at=contact.created_at,
        consent_at=contact.consent_at,
        parish_code=contact.parish_code,
        phone_masked=(phone[:5] + "****" + phone[-3:]) if phone else None,
        subscriptions=tuple((p, c, t) for p, c, t in subs.all()),
        case_numbers=tuple(cases),
        dialogue_answers=len(answers),
    )


async def erase_contact_data(session: AsyncSession, contact: Contact, now: datetime) -> int:
    """Deletes subscriptions, unlinks cases and answers, clears phone/parish/consent; audited.

    Returns how many subscriptions were removed. Cases stay with the district (they are its
    work records) but lose every link to this chat.
    """
    result = await session.execute(
        delete(Subscription).where(Subscription.contact_id == contact.id)
    )
    await session.execute(
        update(Case).where(Case.reporter_contact_id == contact.id).values(reporter_contact_id=None)
    )
    await session.execute(
        update(DialogueAnswer)
        .where(DialogueAnswer.contact_id == contact.id)
        .values(contact_id=None)
    )
    contact.phone = None
    contact.parish_code = None
    contact.consent_at = None
    contact.consent_version = None
    await audit.record(
        session,
        at=now,
        actor_kind="citizen",
        actor=f"{contact.channel}:{contact.address}",
        action="personal_data_erased",
    )
    return int(getattr(result, "rowcount", 0) or 0)
