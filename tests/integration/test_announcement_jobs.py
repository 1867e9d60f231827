"""Scheduled jobs: event announcements reach opted-in recipients at 09:00 local, once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.domain.sms_text import segment_info
from bot.domain.staff import Role, StaffScope
from bot.flows.engine import FlowEngine
from bot.services.broadcasts import BroadcastError, confirm_broadcast, draft_broadcast
from bot.services.container import Services
from bot.services.staff import create_staff, scope_of
from bot.storage.models import Beneficiary, Contact, Event, OptOut, OutboxMessage, Subscription
from notificaciones import audiences
from notificaciones.audiences import (
    LOCALE_LOOKUP_MAX_PHONES,
    Audience,
    Recipient,
    audience_recipients,
    group_by_locale,
    phone_locales,
)
from notificaciones.jobs import run_jobs
from tests.support.chat import Chat
from tests.support.clock import FakeClock

TACAMOROS = "111252"
SANTA_CRUZ = "200150"  # Galápagos


async def _people(services: Services, now: datetime) -> None:
    async with services.session_factory() as session, session.begin():
        for n, (phone, parish, programme) in enumerate(
            [
                ("+593991000001", TACAMOROS, "BDH"),
                ("+593991000001", TACAMOROS, "MMA"),  # one household phone, two transfers
                ("+593991000002", TACAMOROS, "BDH"),
                ("+593991000003", TACAMOROS, "BDH"),  # opted out below
                ("+593991000004", "111250", "BDH"),  # another parish
                ("+593991000005", SANTA_CRUZ, "BDH"),
            ]
        ):
            session.add(
                Beneficiary(
                    cedula=f"11000000{n:02d}",
                    names="Persona",
                    mobile=phone,
                    parish_code=parish,
                    programme=programme,
                    status="activo",
                    row_hash="x",
                    updated_at=now,
                )
            )
        session.add(OptOut(phone="+593991000003", opted_out_at=now, source="sms_keyword"))
        contact = Contact(channel="sms", address="+593991000009", created_at=now, last_seen_at=now)
        session.add(contact)
        await session.flush()
        session.add(
            Subscription(
                contact_id=contact.id,
                parish_code=TACAMOROS,
                channel="sms",
                address="+593991000009",
                topic="eventos",
                consent_at=now,
                created_at=now,
            )
        )


async def _english_subscriber(flow_engine: FlowEngine, chat_id: str, phone: str) -> None:
    """A Telegram citizen who chose English with /idioma and subscribed by Telegram and SMS."""
    chat = Chat(flow_engine, channel="telegram", address=chat_id)
    await chat.say("/idioma")
    await chat.press("en")
    assert chat.text.startswith("Done, I will write to you in English.")
    for channel in ("sub_telegram", "sub_sms"):
        await chat.say("/eventos Tacamoros")
        await chat.press(channel)
        if channel == "sub_sms":
            await chat.say(phone)
        await chat.press("accept")


async def _event(services: Services, parish: str, starts: datetime, now: datetime) -> None:
    async with services.session_factory() as session, session.begin():
        session.add(
            Event(
                kind="brigada_social",
                title="Brigada Social",
                parish_code=parish,
                starts_at=starts,
                place="Casa comunal",
                reminder_offsets_minutes=[10080, 1440],
                created_at=now,
            )
        )


async def _outbox(services: Services) -> list[OutboxMessage]:
    async with services.session_factory() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_event_announcements_are_queued_at_7_and_1_days_at_9_local_once(
    services: Services, clock: FakeClock
) -> None:
    now = clock()
    await _people(services, now)
    # 2026-12-10 10:00 in Loja (UTC−5).
    await _event(services, TACAMOROS, datetime(2026, 12, 10, 15, 0, tzinfo=UTC), now)

    async with services.session_factory() as session, session.begin():
        first = await run_jobs(session, services.settings, now)
    async with services.session_factory() as session, session.begin():
        second = await run_jobs(session, services.settings, now)

    rows = await _outbox(services)
    assert first.announcements == 6 and second.announcements == 0
    assert {r.address for r in rows} == {"+593991000001", "+593991000002", "+593991000009"}
    # 09:00 in Loja is 14:00 UTC: seven days and one day before.
    assert {r.next_attempt_at for r in rows} == {
        datetime(2026, 12, 3, 14, 0, tzinfo=UTC),
        datetime(2026, 12, 9, 14, 0, tzinfo=UTC),
    }
    assert all(r.status == "pending" and r.channel == "sms" for r in rows)
    assert "Brigada Social" in rows[0].body
    assert rows[0].segments == 1


async def test_galapagos_announcements_are_at_9_galapagos_time(
    services: Services, clock: FakeClock
) -> None:
    now = clock()
    await _people(services, now)
    await _event(services, SANTA_CRUZ, datetime(2026, 12, 10, 16, 0, tzinfo=UTC), now)

    async with services.session_factory() as session, session.begin():
        await run_jobs(session, services.settings, now)

    rows = await _outbox(services)
    assert {r.address for r in rows} == {"+593991000005"}
    assert {r.next_attempt_at.hour for r in rows} == {15}  # 09:00 at UTC−6


async def test_a_late_event_is_announced_in_the_morning_not_at_night(
    services: Services, clock: FakeClock
) -> None:
    clock.current = datetime(2026, 12, 9, 1, 30, tzinfo=UTC)  # 20:30 in Loja, the night before
    await _people(services, clock())
    await _event(services, TACAMOROS, datetime(2026, 12, 9, 20, 0, tzinfo=UTC), clock())

    async with services.session_factory() as session, session.begin():
        await run_jobs(session, services.settings, clock())

    rows = await _outbox(services)
    assert rows
    # T−1d 09:00 was 12 hours ago at most → sent, but at 07:00 local (12:00 UTC), not at night.
    assert {r.next_attempt_at for r in rows} == {datetime(2026, 12, 9, 12, 0, tzinfo=UTC)}


async def _admin(services: Services) -> StaffScope:
    async with services.session_factory() as session, session.begin():
        staff = await create_staff(session, name="Admin", role=Role.ADMIN, now=services.clock())
    return scope_of(staff)


async def test_preview_counts_unique_phones_segments_and_cost_without_sending(
    services: Services, clock: FakeClock
) -> None:
    await _people(services, clock())
    admin = await _admin(services)
    audience = Audience(canton_codes=("1112",))  # registry mobiles and subscribers

    async with services.session_factory() as session, session.begin():
        broadcast, preview = await draft_broadcast(
            session,
            admin,
            audience,
            "Reunión informativa el sábado",
            now=clock(),
            settings=services.settings,
        )
    assert preview.sms_body == "Reunion informativa el sabado"
    assert preview.encoding == "GSM-7" and preview.segments_per_sms == 1
    # Tacamoros (2 phones + 1 subscriber) and 111250 (1 phone); the opted-out phone excluded.
    assert preview.sms == 4
    assert preview.opted_out_excluded == 1
    assert str(preview.cost_usd) == "0.20"
    assert await _outbox(services) == []

    async with services.session_factory() as session, session.begin():
        queued = await confirm_broadcast(
            session, admin, broadcast.id, now=clock(), settings=services.settings
        )
    async with services.session_factory() as session, session.begin():
        with pytest.raises(BroadcastError):  # confirmed once: never queued a second time
            await confirm_broadcast(
                session, admin, broadcast.id, now=clock(), settings=services.settings
            )
    assert queued == 4
    rows = await _outbox(services)
    assert len(rows) == 4 and {r.broadcast_id for r in rows} == {broadcast.id}


async def test_programme_filter_reaches_only_that_programmes_beneficiaries(
    services: Services, clock: FakeClock
) -> None:
    await _people(services, clock())
    admin = await _admin(services)
    async with services.session_factory() as session, session.begin():
        _broadcast, preview = await draft_broadcast(
            session,
            admin,
            Audience(parish_codes=(TACAMOROS,), programmes=("MMA",)),
            "x",
            now=clock(),
            settings=services.settings,
        )
    assert preview.sms == 1


async def test_each_recipient_gets_the_announcement_in_their_own_language(
    services: Services, flow_engine: FlowEngine, clock: FakeClock
) -> None:
    now = clock()
    await _people(services, now)
    await _english_subscriber(flow_engine, "9100", "0991000077")
    # Thursday 2026-12-10, 10:00 in Loja (UTC−5).
    await _event(services, TACAMOROS, datetime(2026, 12, 10, 15, 0, tzinfo=UTC), now)

    async with services.session_factory() as session, session.begin():
        first = await run_jobs(session, services.settings, now)
    async with services.session_factory() as session, session.begin():
        again = await run_jobs(session, services.settings, now)

    rows = [r for r in await _outbox(services) if r.kind == "event_announcement"]
    bodies: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        bodies.setdefault((row.channel, row.address), set()).add(row.body)
    english = (
        "MIES: Brigada Social. Thursday, December 10, 10:00 AM at Casa comunal. "
        "Reply EVENTOS to see more."
    )
    spanish = (
        "MIES: Brigada Social. jueves 10 de diciembre, 10:00 en Casa comunal. "
        "Responda EVENTOS para ver mas."
    )
    assert bodies == {
        ("telegram", "9100"): {english},
        ("sms", "+593991000077"): {english},  # the phone the English citizen subscribed
        ("sms", "+593991000001"): {spanish},  # beneficiaries without a contact: the default
        ("sms", "+593991000002"): {spanish},
        ("sms", "+593991000009"): {spanish},  # an SMS contact who kept Spanish
    }
    assert first.announcements == 10 and again.announcements == 0  # 7 and 1 day before each
    english_sms = next(r for r in rows if r.address == "+593991000077")
    assert segment_info(english_sms.body).encoding == "GSM-7" and english_sms.segments == 1


# 1: more phones than the IN (…) lookup takes, so every phone contacts know is read instead.
@pytest.mark.parametrize("lookup_max", [LOCALE_LOOKUP_MAX_PHONES, 1])
async def test_a_beneficiary_phone_takes_the_language_of_the_contact_who_gave_it(
    services: Services,
    flow_engine: FlowEngine,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    lookup_max: int,
) -> None:
    monkeypatch.setattr(audiences, "LOCALE_LOOKUP_MAX_PHONES", lookup_max)
    now = clock()
    await _people(services, now)
    # The household phone of two transfers is the one an English citizen subscribed.
    await _english_subscriber(flow_engine, "9100", "0991000001")

    async with services.session_factory() as session:
        recipients, _ = await audience_recipients(
            session, Audience(parish_codes=(TACAMOROS,), channels=("sms", "telegram"))
        )
        locales = await phone_locales(session)

    by_address = {r.address: r for r in recipients}
    assert by_address["+593991000001"].locale == "en"
    assert by_address["9100"].locale == "en"
    assert by_address["+593991000002"].locale is None  # no contact: the default locale
    assert by_address["+593991000009"].locale == "es_EC"
    assert locales == {"+593991000001": "en", "+593991000009": "es_EC"}


async def test_a_phones_own_sms_conversation_sets_its_language_over_other_contacts(
    services: Services, clock: FakeClock
) -> None:
    now = clock()
    async with services.session_factory() as session, session.begin():
        session.add_all(
            [
                Contact(
                    channel="telegram",
                    address="9200",
                    locale="en",
                    phone="+593991000050",
                    created_at=now,
                    last_seen_at=now,
                ),
                Contact(
                    channel="sms",
                    address="+593991000050",
                    locale="es_EC",
                    created_at=now,
                    last_seen_at=now,
                ),
                Contact(
                    channel="telegram",
                    address="9201",
                    locale="en-US",
                    phone="+593991000051",
                    created_at=now,
                    last_seen_at=now,
                ),
            ]
        )
    async with services.session_factory() as session:
        assert await phone_locales(session) == {"+593991000050": "es_EC", "+593991000051": "en"}
        assert await phone_locales(session, ["+593991000051", "+593991000099"]) == {
            "+593991000051": "en"
        }
        assert await phone_locales(session, []) == {}


def test_recipients_are_grouped_by_language_once_each_in_their_order() -> None:
    recipients = [
        Recipient("sms", "+593991000001", TACAMOROS),
        Recipient("telegram", "9100", TACAMOROS, "en"),
        Recipient("sms", "+593991000002", TACAMOROS, "es_EC"),
        Recipient("sms", "+593991000003", TACAMOROS, "en"),
    ]

    groups = group_by_locale(recipients, "es_EC")

    assert list(groups) == ["es_EC", "en"]
    assert [r.address for r in groups["es_EC"]] == ["+593991000001", "+593991000002"]
    assert [r.address for r in groups["en"]] == ["9100", "+593991000003"]
    assert list(group_by_locale(recipients[:1], "en")) == ["en"]  # no choice: the default
