"""Staff broadcasts, the one path: staff choices → audience, preview, bulk confirm, statuses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.domain.staff import Role, StaffScope
from bot.services.authz import PermissionDenied
from bot.services.broadcasts import (
    cancel_broadcast,
    confirm_broadcast,
    draft_broadcast,
    staff_audience,
)
from bot.services.container import Services
from bot.services.staff import create_staff, scope_of
from bot.storage.models import (
    BROADCAST_CANCELLED,
    BROADCAST_CONFIRMED,
    BROADCAST_DRAFT,
    Beneficiary,
    Broadcast,
    Contact,
    OutboxMessage,
    Subscription,
)
from notificaciones.audiences import SOURCE_REGISTRY, SOURCE_SUBSCRIBERS, Audience
from tests.support.clock import FakeClock

TACAMOROS, LOJA_CENTRO, SANTA_CRUZ = "111252", "110101", "200150"  # 11D06, 11D01, Galápagos
ACCENTED = "Reunión en la casa comunal"  # UCS-2 with its accent


async def _staff(services: Services, role: Role, district: str | None = None) -> StaffScope:
    async with services.session_factory() as session, session.begin():
        staff = await create_staff(
            session, name="Persona", role=role, now=services.clock(), district_code=district
        )
    return scope_of(staff)


async def _people(services: Services) -> None:
    """Registry mobiles in Tacamoros (BDH, MMA) and Santa Cruz; subscribers of two topics."""
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        for n, (phone, parish, programme) in enumerate(
            [
                ("+593991000001", TACAMOROS, "BDH"),
                ("+593991000002", TACAMOROS, "MMA"),
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
        contact = Contact(channel="telegram", address="9300", created_at=now, last_seen_at=now)
        session.add(contact)
        await session.flush()
        for channel, address, topic in [
            ("telegram", "9300", "eventos"),
            ("sms", "+593991000009", "compromisos"),
        ]:
            session.add(
                Subscription(
                    contact_id=contact.id,
                    parish_code=TACAMOROS,
                    channel=channel,
                    address=address,
                    topic=topic,
                    consent_at=now,
                    created_at=now,
                )
            )


async def _outbox(services: Services) -> list[OutboxMessage]:
    async with services.session_factory() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def _broadcast(services: Services, broadcast_id: int) -> Broadcast:
    async with services.session_factory() as session:
        found = await session.get(Broadcast, broadcast_id)
    assert found is not None
    return found


async def _send(services: Services, scope: StaffScope, audience: Audience, body: str) -> int:
    """Drafts and confirms a broadcast as /difundir does; returns its id."""
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        broadcast, _preview = await draft_broadcast(
            session, scope, audience, body, now=now, settings=services.settings
        )
    async with services.session_factory() as session, session.begin():
        await confirm_broadcast(session, scope, broadcast.id, now=now, settings=services.settings)
    return broadcast.id


def test_staff_choices_map_onto_one_audience_that_survives_storage() -> None:
    registry = staff_audience("beneficiarios", "parish", TACAMOROS, "BDH")
    subscribers = staff_audience("suscriptores", "district", "11D06", "BDH")
    national = staff_audience("beneficiarios", "national", None)

    assert registry == Audience(
        parish_codes=(TACAMOROS,), programmes=("BDH",), sources=(SOURCE_REGISTRY,)
    )
    assert subscribers == Audience(
        district_codes=("11D06",),
        sources=(SOURCE_SUBSCRIBERS,),
        channels=("sms", "telegram"),
    )  # subscriptions carry no programme
    assert national.national and not national.parish_codes
    for audience in (registry, subscribers, national):
        assert Audience.from_json(audience.to_json()) == audience


async def test_registry_source_reaches_only_the_chosen_programmes_mobiles(
    services: Services,
) -> None:
    await _people(services)
    admin = await _staff(services, Role.ADMIN)

    await _send(services, admin, staff_audience("beneficiarios", "parish", TACAMOROS, "MMA"), "x")

    assert [(m.channel, m.address) for m in await _outbox(services)] == [("sms", "+593991000002")]


async def test_subscribers_source_reaches_every_topic_and_channel_but_no_registry_mobile(
    services: Services,
) -> None:
    await _people(services)
    admin = await _staff(services, Role.ADMIN)

    await _send(services, admin, staff_audience("suscriptores", "parish", TACAMOROS), "Aviso")

    assert sorted((m.channel, m.address) for m in await _outbox(services)) == [
        ("sms", "+593991000009"),
        ("telegram", "9300"),
    ]


async def test_a_broadcast_confirmed_at_night_waits_for_the_morning_in_each_recipients_zone(
    services: Services, clock: FakeClock
) -> None:
    clock.current = datetime(2026, 11, 21, 1, 30, tzinfo=UTC)  # 20:30 in Loja, 19:30 Galápagos
    await _people(services)
    admin = await _staff(services, Role.ADMIN)

    await _send(services, admin, staff_audience("beneficiarios", "national", None), "Aviso")

    due = {m.address: m.next_attempt_at for m in await _outbox(services)}
    assert due == {
        "+593991000001": datetime(2026, 11, 21, 12, 0, tzinfo=UTC),  # 07:00 in Loja
        "+593991000002": datetime(2026, 11, 21, 12, 0, tzinfo=UTC),
        "+593991000005": clock.current,  # 19:30 in Galápagos: not yet quiet
    }


async def test_a_broadcast_stores_its_total_segments_and_moves_from_draft_to_confirmed(
    services: Services,
) -> None:
    await _people(services)
    admin = await _staff(services, Role.ADMIN)
    services.settings.sms_transliterate = False
    audience = staff_audience("beneficiarios", "parish", TACAMOROS)

    async with services.session_factory() as session, session.begin():
        broadcast, preview = await draft_broadcast(
            session, admin, audience, ACCENTED, now=services.clock(), settings=services.settings
        )
    draft = await _broadcast(services, broadcast.id)
    assert preview.unicode and (preview.sms, preview.segments_per_sms) == (2, 1)
    assert (draft.status, draft.recipients, draft.segments) == (BROADCAST_DRAFT, 2, 2)
    async with services.session_factory() as session, session.begin():
        queued = await confirm_broadcast(
            session, admin, broadcast.id, now=services.clock(), settings=services.settings
        )

    confirmed = await _broadcast(services, broadcast.id)
    rows = await _outbox(services)
    assert queued == 2 and confirmed.status == BROADCAST_CONFIRMED
    assert confirmed.segments == sum(m.segments for m in rows) == 2  # the total, per-row 1 each
    assert {m.body for m in rows} == {ACCENTED}


async def test_a_cancelled_broadcast_is_marked_cancelled_and_queues_nothing(
    services: Services,
) -> None:
    await _people(services)
    admin = await _staff(services, Role.ADMIN)
    async with services.session_factory() as session, session.begin():
        broadcast, _preview = await draft_broadcast(
            session,
            admin,
            staff_audience("suscriptores", "national", None),
            "Aviso",
            now=services.clock(),
            settings=services.settings,
        )
    async with services.session_factory() as session, session.begin():
        await cancel_broadcast(session, admin, broadcast.id, now=services.clock())

    assert (await _broadcast(services, broadcast.id)).status == BROADCAST_CANCELLED
    assert await _outbox(services) == []


async def test_a_district_analyst_may_broadcast_to_a_parish_of_their_district_only(
    services: Services,
) -> None:
    await _people(services)
    analyst = await _staff(services, Role.DISTRICT, "11D06")

    await _send(services, analyst, staff_audience("beneficiarios", "parish", TACAMOROS), "x")
    with pytest.raises(PermissionDenied):
        await _send(services, analyst, staff_audience("beneficiarios", "parish", LOJA_CENTRO), "x")

    assert len(await _outbox(services)) == 2
