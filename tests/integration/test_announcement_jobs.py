"""Scheduled jobs: event announcements reach opted-in recipients at 09:00 local, once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.services.container import Services
from bot.storage.models import Beneficiary, Contact, Event, OptOut, OutboxMessage, Subscription
from notificaciones.audiences import Audience, enqueue_broadcast, preview_broadcast
from notificaciones.jobs import run_jobs
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


async def test_preview_counts_unique_phones_segments_and_cost_without_sending(
    services: Services, clock: FakeClock
) -> None:
    await _people(services, clock())
    audience = Audience(canton_codes=("1112",))

    async with services.session_factory() as session:
        preview = await preview_broadcast(
            session, audience, "Reunión informativa el sábado", services.settings
        )
    assert preview.body == "Reunion informativa el sabado"
    assert preview.encoding == "GSM-7" and preview.segments == 1
    # Tacamoros (2 phones + 1 subscriber) and 111250 (1 phone); the opted-out phone excluded.
    assert preview.sms_recipients == 4
    assert preview.opted_out_excluded == 1
    assert str(preview.estimated_cost_usd) == "0.20"
    assert await _outbox(services) == []

    async with services.session_factory() as session, session.begin():
        broadcast = await enqueue_broadcast(
            session, audience, "Reunión informativa el sábado", services.settings, now=clock()
        )
    async with services.session_factory() as session, session.begin():
        await enqueue_broadcast(
            session,
            audience,
            "Reunión informativa el sábado",
            services.settings,
            now=clock(),
            broadcast=await session.get(type(broadcast), broadcast.id),
        )
    rows = await _outbox(services)
    assert len(rows) == 4 and {r.broadcast_id for r in rows} == {broadcast.id}


async def test_programme_filter_reaches_only_that_programmes_beneficiaries(
    services: Services, clock: FakeClock
) -> None:
    await _people(services, clock())
    async with services.session_factory() as session:
        preview = await preview_broadcast(
            session,
            Audience(parish_codes=(TACAMOROS,), programmes=("MMA",)),
            "x",
            services.settings,
        )
    assert preview.sms_recipients == 1
