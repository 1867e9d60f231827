"""A dispatcher killed mid-batch: its sends are reconciled once its lease is dead, not 10 min later.

The lease is a heartbeat row per dispatcher (notificaciones/leases.py). Runs on SQLite and, with
TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.services.container import Services
from bot.storage.models import DispatcherLease
from notificaciones import outbox_states
from notificaciones.gateways.twilio import TwilioSmsGateway
from notificaciones.leases import Lease, prune_dead_leases
from tests.integration.test_outbox_dispatcher import PHONES, Killed, _dispatcher, _enqueue, _rows
from tests.integration.test_twilio_gateway import twilio_settings
from tests.support.clock import FakeClock
from tests.support.twilio_fake import FakeTwilioApi

LEASE = timedelta(seconds=45)


def _lease(services: Services, clock: FakeClock, holder: str) -> Lease:
    return Lease(services.session_factory, holder, expiry=LEASE, clock=clock)


async def _killed_mid_batch(
    services: Services, clock: FakeClock, api: FakeTwilioApi, holder: str
) -> set[int]:
    """Dispatcher `holder` claims the five rows and dies as it sends the third; returns them."""
    await _enqueue(services, PHONES, clock())
    ids = [r.id for r in await _rows(services)]
    await _lease(services, clock, holder).renew()

    async def die(at: str, row_id: int) -> None:
        if at == "before_send" and row_id == ids[2]:
            raise Killed

    first = _dispatcher(
        services,
        clock,
        TwilioSmsGateway(twilio_settings(), api),
        concurrency=1,
        checkpoint=die,
        worker=holder,
    )
    with pytest.raises(Killed):
        await first.run_until_idle()
    stranded = {r.id for r in await _rows(services) if r.status == outbox_states.SENDING}
    assert stranded == set(ids)
    return stranded


async def test_the_sends_of_a_dead_dispatcher_are_settled_within_a_lease_not_ten_minutes(
    services: Services, clock: FakeClock
) -> None:
    api = FakeTwilioApi()
    await _killed_mid_batch(services, clock, api, "host-a:1:dead")
    survivor = _dispatcher(
        services, clock, TwilioSmsGateway(twilio_settings(), api), worker="host-b:2:alive"
    )

    clock.advance(seconds=30)  # the dead one's lease still runs: it may be sending
    await survivor.run_until_idle()
    assert {r.status for r in await _rows(services)} == {outbox_states.SENDING}

    clock.advance(seconds=20)  # 50 s: lease expired; nobody heard from it for 45 s
    await survivor.run_until_idle()
    rows = await _rows(services)
    assert outbox_states.SENDING not in {r.status for r in rows}
    for row in rows:  # found at the provider → sent; not listed yet → asked again later
        expected = outbox_states.SENT if api.sent_to(row.address) else outbox_states.UNCONFIRMED
        assert row.status == expected, row.address
    # The one never sent is re-sent only once the provider's listing is proof (2 minutes).
    assert not api.sent_to(PHONES[2])

    clock.advance(minutes=2)
    await survivor.run_until_idle()
    assert [r.status for r in await _rows(services)] == [outbox_states.SENT] * 5
    assert all(len(api.sent_to(phone)) == 1 for phone in PHONES)


async def test_a_dispatcher_that_keeps_its_heartbeat_keeps_its_sends(
    services: Services, clock: FakeClock
) -> None:
    api = FakeTwilioApi()
    holder = "host-a:1:slow"
    await _killed_mid_batch(services, clock, api, holder)  # stands for a very slow batch
    slow = _lease(services, clock, holder)
    survivor = _dispatcher(services, clock, TwilioSmsGateway(twilio_settings(), api))

    for _ in range(8):  # 4 minutes of heartbeats every 30 s
        clock.advance(seconds=30)
        await slow.renew()
        await survivor.run_until_idle()

    assert {r.status for r in await _rows(services)} == {outbox_states.SENDING}
    assert not api.sent_to(PHONES[2])  # left alone: its dispatcher is alive


async def test_a_clean_stop_ends_the_lease_so_its_leftovers_are_settled_at_once(
    services: Services, clock: FakeClock
) -> None:
    api = FakeTwilioApi()
    holder = "host-a:1:stopping"
    await _killed_mid_batch(services, clock, api, holder)
    await _lease(services, clock, holder).release()

    await _dispatcher(services, clock, TwilioSmsGateway(twilio_settings(), api)).run_until_idle()

    assert outbox_states.SENDING not in {r.status for r in await _rows(services)}


async def test_dead_leases_are_pruned_once_no_send_names_them(
    services: Services, clock: FakeClock
) -> None:
    api = FakeTwilioApi()
    await _killed_mid_batch(services, clock, api, "host-a:1:dead")
    await _lease(services, clock, "host-c:3:idle").renew()
    clock.advance(hours=2)

    async def holders() -> set[str]:
        async with services.session_factory() as session:
            return set(await session.scalars(select(DispatcherLease.holder)))

    async with services.session_factory() as session, session.begin():
        await prune_dead_leases(session, clock(), keep=timedelta(hours=1))
    assert await holders() == {"host-a:1:dead"}  # still named by SENDING rows

    await _dispatcher(services, clock, TwilioSmsGateway(twilio_settings(), api)).run_until_idle()
    async with services.session_factory() as session, session.begin():
        await prune_dead_leases(session, clock(), keep=timedelta(hours=1))
    assert await holders() == set()
