"""What the bot keeps about a contact, and erasing it (LOPDP rights of access and deletion).

`contact_data` and `erase_contact_data` cover every kind of `bot.services.personal_data.KINDS`;
that module says what stays after erasure and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit, cases, dialogues, reminder_consents, subscriptions
from bot.storage.models import (
    Case,
    Contact,
    DialogueAnswer,
    OptOut,
    OutboxMessage,
    Subscription,
)
from notificaciones import outbox_states
from notificaciones.outbox_states import PENDING

# Only settled messages lose their text: one still in flight (claimed, or with an outcome to
# reconcile) may yet be sent, and must be sent whole.


@dataclass(frozen=True)
class CaseData:
    """One case the contact asked to open, as the contact may see it."""

    number: str
    cedula_masked: str | None


@dataclass(frozen=True)
class ContactData:
    """A summary of the personal data linked to one contact."""

    channel: str
    locale: str
    created_at: datetime
    last_seen_at: datetime
    consent_at: datetime | None
    parish_code: str | None
    phone_masked: str | None
    subscriptions: tuple[tuple[str, str, str], ...]  # (parish_code, channel, topic)
    cases: tuple[CaseData, ...]
    dialogue_answers: tuple[str, ...]
    messages_queued: int
    messages_logged: int  # sent, failed or withdrawn: kept as a record, without text after erasure
    opted_out: bool

    @property
    def case_numbers(self) -> tuple[str, ...]:
        """The numbers of the contact's cases."""
        return tuple(case.number for case in self.cases)


def contact_addresses(contact: Contact, subscribed: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Every (channel, address) the bot writes to for this contact: its chat, phone and subs."""
    found = set(subscribed)
    if contact.channel in ("telegram", "sms"):
        found.add((contact.channel, contact.address))
    if contact.phone:
        found.add(("sms", contact.phone))
    return found


async def _subscribed(session: AsyncSession, contact: Contact) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(Subscription.channel, Subscription.address).where(
            Subscription.contact_id == contact.id
        )
    )
    return [(str(channel), str(address)) for channel, address in rows.all()]


async def _message_counts(
    session: AsyncSession, addresses: set[tuple[str, str]]
) -> tuple[int, int]:
    """How many messages to these addresses are queued, and how many are a record already."""
    queued = logged = 0
    for channel, address in sorted(addresses):
        rows = await session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.channel == channel, OutboxMessage.address == address)
            .group_by(OutboxMessage.status)
        )
        for status, count in rows.all():
            if status == PENDING:
                queued += int(count)
            else:
                logged += int(count)
    return queued, logged


async def contact_data(session: AsyncSession, contact: Contact) -> ContactData:
    """Collects what is stored about `contact`."""
    subs = await session.execute(
        select(Subscription.parish_code, Subscription.channel, Subscription.topic)
        .where(Subscription.contact_id == contact.id)
        .order_by(Subscription.id)
    )
    case_rows = await session.execute(
        select(Case.number, Case.cedula)
        .where(Case.reporter_contact_id == contact.id)
        .order_by(Case.id)
    )
    answers = await session.scalars(
        select(DialogueAnswer.answer_text)
        .where(DialogueAnswer.contact_id == contact.id)
        .order_by(DialogueAnswer.id)
    )
    addresses = contact_addresses(contact, await _subscribed(session, contact))
    queued, logged = await _message_counts(session, addresses)
    phones = sorted(address for channel, address in addresses if channel == "sms")
    opted_out = bool(phones) and bool(
        await session.scalar(
            select(func.count()).select_from(OptOut).where(OptOut.phone.in_(phones))
        )
    )
    phone = contact.phone
    return ContactData(
        channel=contact.channel,
        locale=contact.locale,
        created_at=contact.created_at,
        last_seen_at=contact.last_seen_at,
        consent_at=contact.consent_at,
        parish_code=contact.parish_code,
        phone_masked=subscriptions.mask_phone(phone) if phone else None,
        subscriptions=tuple((p, c, t) for p, c, t in subs.all()),
        cases=tuple(
            CaseData(number, "*******" + cedula[-3:] if cedula else None)
            for number, cedula in case_rows.all()
        ),
        dialogue_answers=tuple(answers),
        messages_queued=queued,
        messages_logged=logged,
        opted_out=opted_out,
    )


@dataclass(frozen=True)
class Erased:
    """What an erasure removed."""

    subscriptions: int
    messages_withdrawn: int
    dialogue_answers: int
    cases_unlinked: tuple[str, ...]
    phones: int  # how many phones the contact had on record (registry phones may still get SMS)


async def _still_reached(
    session: AsyncSession, contact: Contact, channel: str, address: str
) -> bool:
    """Whether another contact still asks for messages at this address (a shared phone)."""
    others = await session.scalar(
        select(func.count())
        .select_from(Subscription)
        .where(
            Subscription.channel == channel,
            Subscription.address == address,
            Subscription.contact_id != contact.id,
        )
    )
    return bool(others)


async def erase_contact_data(session: AsyncSession, contact: Contact, now: datetime) -> Erased:
    """Erases the contact's personal data in the caller's transaction; audited.

    Withdraws every message queued to the contact's chat and phones (except those another
    subscriber of a shared phone still asks for), deletes subscriptions and dialogue answers,
    cuts the cases from the contact, empties the text of the messages already sent, and clears
    phone, parish and consent. What stays is listed in `bot.services.personal_data`.
    """
    addresses = contact_addresses(contact, await _subscribed(session, contact))
    shared = {a for a in addresses if await _still_reached(session, contact, *a)}
    withdrawn = 0
    for channel, address in sorted(addresses - shared):
        withdrawn += await subscriptions.withdraw_unwanted(
            session, channel=channel, address=address, now=now, reason="erased", everything=True
        )
        # A send in flight may finish whole, but if it comes back unsent it is not sent again.
        await outbox_states.withdraw_in_flight(session, channel=channel, address=address)
        await outbox_states.erase_settled_text(session, channel=channel, address=address)
    # On a shared phone this withdraws only what this contact's own subscriptions queued.
    removed = await subscriptions.unsubscribe(session, contact, now=now, topic=None)
    answers = await dialogues.delete_answers_of(session, contact.id)
    await reminder_consents.delete_of_contact(session, contact)
    unlinked = await cases.unlink_reporter(session, contact.id)
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
        detail={"subscriptions": removed, "withdrawn": withdrawn, "answers": answers},
    )
    phones = sum(1 for channel, _address in addresses if channel == "sms")
    return Erased(removed, withdrawn, answers, tuple(unlinked), phones)
