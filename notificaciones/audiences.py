"""Audiences and bulk enqueueing: who a notice is for, and one outbox row per recipient.

An audience selects places (parishes, cantons, district directorates, or the whole country) and
its sources: the beneficiaries with a mobile on record (`SOURCE_REGISTRY`, SMS only) and the
SMS/Telegram subscribers (`SOURCE_SUBSCRIBERS`, optionally of one topic); the scheduled jobs use
both, a staff broadcast one of them (`bot.services.broadcasts.staff_audience`). Opted-out phones
are always excluded and each address gets one message even when a household shares a phone. With
a programme or payment-status filter only beneficiaries of those programmes / registry statuses
are included (subscriptions carry neither).

Each recipient carries the language its texts are written in: a Telegram subscriber's own choice
(/idioma), a phone's known contact's choice (see `phone_locales`), else None, the default locale.
Texts rendered per language are rendered once per language (`group_by_locale`), not per person.
`enqueue_to_recipients` queues one text to a list of recipients in one bulk insert, each message
moved out of the quiet hours of its recipient's parish time zone: event announcements, deadline
reminders and staff broadcasts (`bot.services.broadcasts`, which previews first) all go through it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.domain.channels import PHONE_CHANNELS
from bot.domain.quiet_hours import next_allowed
from bot.domain.sms_text import prepare_sms, segment_info
from bot.i18n import normalise_locale
from bot.storage.models import (
    Beneficiary,
    Canton,
    Contact,
    OptOut,
    Parish,
    Subscription,
)
from notificaciones.outbox import NewMessage, enqueue_many
from notificaciones.time_zones import parish_zones

TOPIC_ALL = "todos"
TOPIC_EVENTS = "eventos"
TOPIC_COMMITMENTS = "compromisos"
SOURCE_REGISTRY = "registry"  # beneficiaries' mobiles on record (SMS)
SOURCE_SUBSCRIBERS = "subscribers"  # SMS/Telegram subscriptions
# Up to this many phones, their languages are looked up with IN (…); a larger (national)
# audience reads every phone contacts know instead, like the opt-out list below.
LOCALE_LOOKUP_MAX_PHONES = 1000


@dataclass(frozen=True)
class Audience:
    """Who a message is for; empty place lists mean 'no place filter' only if `national`.

    `sources` says where recipients come from (registry mobiles, subscribers or both); `topic`
    narrows subscribers to one topic (None: every topic); `channels` the channels reached.
    `payment_statuses` keeps only beneficiaries whose registry status is one of them (e.g. only
    «activo», so a payment-date notice never reaches a suspended beneficiary); like a programme
    filter it leaves subscribers out, since a subscription carries no registry status.
    """

    parish_codes: tuple[str, ...] = ()
    canton_codes: tuple[str, ...] = ()
    district_codes: tuple[str, ...] = ()
    programmes: tuple[str, ...] = ()
    payment_statuses: tuple[str, ...] = ()
    topic: str | None = None
    national: bool = False
    channels: tuple[str, ...] = ("sms",)
    sources: tuple[str, ...] = (SOURCE_REGISTRY, SOURCE_SUBSCRIBERS)

    def to_json(self) -> dict[str, Any]:
        """The audience as JSON (stored with the broadcast)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        """Rebuilds an audience stored with `to_json`."""
        return cls(
            parish_codes=tuple(data.get("parish_codes", ())),
            canton_codes=tuple(data.get("canton_codes", ())),
            district_codes=tuple(data.get("district_codes", ())),
            programmes=tuple(data.get("programmes", ())),
            payment_statuses=tuple(data.get("payment_statuses", ())),
            topic=data.get("topic"),
            national=bool(data.get("national", False)),
            channels=tuple(data.get("channels", ("sms",))),
            sources=tuple(data.get("sources", (SOURCE_REGISTRY, SOURCE_SUBSCRIBERS))),
        )

    @property
    def is_empty(self) -> bool:
        """True when no place is selected and the audience is not national."""
        return not (self.national or self.parish_codes or self.canton_codes or self.district_codes)


@dataclass(frozen=True)
class Recipient:
    """One address to write to, the parish that sets its local time and its language.

    `locale` is None when nobody behind the address chose a language (an SMS-only beneficiary):
    the settings' default locale applies.
    """

    channel: str
    address: str
    parish_code: str | None
    locale: str | None = None


def _place_filter(query: Any, parish_column: Any, audience: Audience) -> Any:
    if audience.national:
        return query
    conditions = []
    if audience.parish_codes:
        conditions.append(parish_column.in_(audience.parish_codes))
    if audience.canton_codes or audience.district_codes:
        in_cantons = select(Parish.code).join(Canton, Canton.code == Parish.canton_code)
        place = []
        if audience.canton_codes:
            place.append(Canton.code.in_(audience.canton_codes))
        if audience.district_codes:
            place.append(Canton.district_code.in_(audience.district_codes))
        conditions.append(parish_column.in_(in_cantons.where(or_(*place))))
    return query.where(or_(*conditions)) if conditions else query.where(parish_column.is_(None))


async def phone_locales(
    session: AsyncSession, phones: Collection[str] | None = None
) -> dict[str, str]:
    """The language of each phone a contact is known by (of `phones` only if given), normalised.

    One phone may be known several ways; the strongest wins: the phone's own SMS conversation
    (/idioma over SMS), then the contact who last gave it as their phone, then the contact who
    last subscribed it to SMS notices. Phones no contact knows are absent (default locale).
    """
    subscribed: Any = (
        select(Subscription.address, Contact.locale)
        .join(Contact, Contact.id == Subscription.contact_id)
        .where(Subscription.channel == "sms")
        .order_by(Subscription.id)
    )
    given: Any = (
        select(Contact.phone, Contact.locale)
        .where(Contact.phone.is_not(None))
        .order_by(Contact.last_seen_at, Contact.id)
    )
    own: Any = select(Contact.address, Contact.locale).where(Contact.channel == "sms")
    if phones is not None:
        if not phones:
            return {}
        subscribed = subscribed.where(Subscription.address.in_(phones))
        given = given.where(Contact.phone.in_(phones))
        own = own.where(Contact.address.in_(phones))
    locales: dict[str, str] = {}
    # Weakest first: a later (stronger or more recent) row overwrites an earlier one.
    for query in (subscribed, given, own):
        for address, locale in (await session.execute(query)).all():
            locales[str(address)] = normalise_locale(locale)
    return locales


async def audience_recipients(
    session: AsyncSession, audience: Audience
) -> tuple[list[Recipient], int]:
    """Resolves an audience to unique addresses; also returns how many opted-out were left out."""
    if audience.is_empty:
        return [], 0
    found: dict[tuple[str, str], Recipient] = {}
    if SOURCE_REGISTRY in audience.sources and "sms" in audience.channels:
        query: Any = select(Beneficiary.mobile, Beneficiary.parish_code).where(
            Beneficiary.mobile.is_not(None)
        )
        if audience.programmes:
            query = query.where(Beneficiary.programme.in_(audience.programmes))
        if audience.payment_statuses:
            query = query.where(Beneficiary.status.in_(audience.payment_statuses))
        query = _place_filter(query, Beneficiary.parish_code, audience).order_by(Beneficiary.id)
        for phone, parish in (await session.execute(query)).all():
            found.setdefault(("sms", phone), Recipient("sms", phone, parish))
    registry_only = audience.programmes or audience.payment_statuses
    if SOURCE_SUBSCRIBERS in audience.sources and not registry_only:
        subscribers: Any = (
            select(
                Subscription.channel, Subscription.address, Subscription.parish_code, Contact.locale
            )
            .join(Contact, Contact.id == Subscription.contact_id)
            .where(Subscription.channel.in_(audience.channels))
        )
        if audience.topic is not None:
            subscribers = subscribers.where(Subscription.topic.in_((audience.topic, TOPIC_ALL)))
        subscribers = _place_filter(subscribers, Subscription.parish_code, audience).order_by(
            Subscription.id
        )
        for channel, address, parish, locale in (await session.execute(subscribers)).all():
            found.setdefault(
                (channel, address), Recipient(channel, address, parish, normalise_locale(locale))
            )
    # One phone, one language, however many people receive at it or subscribed it.
    phones = [address for channel, address in found if channel == "sms"]
    if phones:
        known = await phone_locales(
            session, phones if len(phones) <= LOCALE_LOOKUP_MAX_PHONES else None
        )
        for phone in phones:
            if phone in known:
                found[("sms", phone)] = replace(found[("sms", phone)], locale=known[phone])
    # The opt-out list is far smaller than a national audience: filter in memory, never with a
    # 100,000-item IN (…) (PostgreSQL's driver caps a statement at 32,767 parameters).
    opted_out = set(await session.scalars(select(OptOut.phone)))
    recipients = [
        r for r in found.values() if not (r.channel in PHONE_CHANNELS and r.address in opted_out)
    ]
    return recipients, len(found) - len(recipients)


def group_by_locale(
    recipients: Iterable[Recipient], default_locale: str
) -> dict[str, list[Recipient]]:
    """Recipients by the (normalised) locale their texts are written in, in their given order."""
    groups: dict[str, list[Recipient]] = {}
    for recipient in recipients:
        locale = normalise_locale(recipient.locale or default_locale)
        groups.setdefault(locale, []).append(recipient)
    return groups


async def enqueue_to_recipients(
    session: AsyncSession,
    recipients: list[Recipient],
    *,
    body: str,
    kind: str,
    key_prefix: str,
    due_at: datetime,
    now: datetime,
    settings: Settings,
    broadcast_id: int | None = None,
) -> int:
    """Queues one message per recipient, moved out of its local quiet hours; returns rows added."""
    text = prepare_sms(body, transliterate_accents=settings.sms_transliterate)
    segments = segment_info(text).segments
    zones = await parish_zones(session, {r.parish_code for r in recipients if r.parish_code})
    messages: list[NewMessage] = []
    for recipient in recipients:
        zone: ZoneInfo = zones.get(recipient.parish_code or "", settings.timezone)
        due = next_allowed(
            max(due_at, now), zone, settings.quiet_hours_start, settings.quiet_hours_end
        )
        messages.append(
            NewMessage(
                channel=recipient.channel,
                address=recipient.address,
                body=text if recipient.channel == "sms" else body,
                kind=kind,
                dedupe_key=f"{key_prefix}:{recipient.channel}:{recipient.address}",
                due_at=due,
                segments=segments if recipient.channel == "sms" else 1,
                broadcast_id=broadcast_id,
            )
        )
    return await enqueue_many(session, messages, now=now)
