"""The outbox dispatcher: sends, retries, stops, and survives being killed at any step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.services.container import Services
from bot.storage.models import Beneficiary, OptOut, OutboxMessage
from notificaciones import outbox, outbox_states
from notificaciones.dispatcher import Dispatcher
from notificaciones.gateways.sms import ConsoleSmsGateway
from notificaciones.gateways.telegram import ConsoleTelegramSender
from notificaciones.gateways.twilio import TwilioSmsGateway
from tests.integration.test_twilio_gateway import twilio_settings
from tests.support.clock import FakeClock
from tests.support.twilio_fake import FakeTwilioApi

PHONES = [f"+59399100000{i}" for i in range(5)]


class Killed(BaseException):
    """Stands for the process dying: nothing after it runs, nothing catches it."""


async def _enqueue(
    services: Services, phones: list[str], now: datetime, body: str = "Hola"
) -> None:
    async with services.session_factory() as session, session.begin():
        for phone in phones:
            await outbox.enqueue(
                session,
                channel="sms",
                address=phone,
                body=body,
                kind="test",
                dedupe_key=f"test:{phone}",
                due_at=now,
                now=now,
            )


async def _rows(services: Services) -> list[OutboxMessage]:
    async with services.session_factory() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _dispatcher(services: Services, clock: FakeClock, gateway: object, **kw: object) -> Dispatcher:
    settings: Settings = kw.pop("settings", services.settings)  # type: ignore[assignment]
    return Dispatcher(
        services.session_factory,
        settings,
        gateway,  # type: ignore[arg-type]
        clock=clock,
        **kw,  # type: ignore[arg-type]
    )


async def test_due_rows_are_sent_once_and_the_provider_sid_is_stored(
    services: Services, clock: FakeClock
) -> None:
    api = FakeTwilioApi()
    gateway = TwilioSmsGateway(twilio_settings(), api)
    await _enqueue(services, PHONES, clock())

    report = await _dispatcher(services, clock, gateway, batch_size=2).run_until_idle()
    again = await _dispatcher(services, clock, gateway).run_until_idle()

    assert report.sent == 5 and again.claimed == 0
    rows = await _rows(services)
    assert {r.status for r in rows} == {outbox_states.SENT}
    assert sorted(r.provider_sid or "" for r in rows) == sorted(m.sid for m in api.messages)
    assert all(len(api.sent_to(p)) == 1 for p in PHONES)


async def test_transient_errors_back_off_then_succeed(services: Services, clock: FakeClock) -> None:
    api = FakeTwilioApi()
    api.fail_next[PHONES[0]] = [(503, None), (429, 20429)]
    gateway = TwilioSmsGateway(twilio_settings(), api)
    await _enqueue(services, PHONES[:1], clock())
    dispatcher = _dispatcher(services, clock, gateway)

    await dispatcher.run_until_idle()
    [row] = await _rows(services)
    assert (row.status, row.attempts) == (outbox_states.PENDING, 1)
    assert row.next_attempt_at == clock() + timedelta(minutes=1)

    assert (await dispatcher.run_until_idle()).claimed == 0  # not due yet
    clock.advance(minutes=1)
    await dispatcher.run_until_idle()
    [row] = await _rows(services)
    assert (row.status, row.attempts) == (outbox_states.PENDING, 2)
    assert row.next_attempt_at == clock() + timedelta(minutes=5)

    clock.advance(minutes=5)
    await dispatcher.run_until_idle()
    [row] = await _rows(services)
    assert (row.status, row.attempts) == (outbox_states.SENT, 3)
    assert len(api.sent_to(PHONES[0])) == 1


async def test_transient_errors_give_up_after_the_configured_attempts(
    services: Services, clock: FakeClock
) -> None:
    api = FakeTwilioApi()
    api.fail_next[PHONES[0]] = [(500, None)] * 10
    gateway = TwilioSmsGateway(twilio_settings(), api)
    settings = services.settings.model_copy(update={"sms_max_attempts": 3})
    await _enqueue(services, PHONES[:1], clock())
    dispatcher = _dispatcher(services, clock, gateway, settings=settings)

    for _ in range(5):
        await dispatcher.run_until_idle()
        clock.advance(days=3)

    [row] = await _rows(services)
    assert (row.status, row.attempts) == (outbox_states.FAILED, 3)
    assert len([r for r in api.requests if r.method == "POST"]) == 3


async def test_invalid_and_landline_numbers_fail_for_good_and_are_marked(
    services: Services, clock: FakeClock
) -> None:
    api = FakeTwilioApi()
    api.fail_next[PHONES[0]] = [(400, 21211)]
    api.fail_next[PHONES[1]] = [(400, 21614)]
    gateway = TwilioSmsGateway(twilio_settings(), api)
    await _enqueue(services, PHONES[:2], clock())

    await _dispatcher(services, clock, gateway).run_until_idle()

    rows = await _rows(services)
    assert {r.status for r in rows} == {outbox_states.FAILED}
    async with services.session_factory() as session:
        marks = {o.phone: o.source for o in await session.scalars(select(OptOut))}
        assert marks == {PHONES[0]: "invalid_21211", PHONES[1]: "invalid_21614"}
        # No sender path queues them again.
        again = await outbox.enqueue(
            session,
            channel="sms",
            address=PHONES[0],
            body="x",
            kind="test",
            dedupe_key="other",
            due_at=clock(),
            now=clock(),
        )
    assert again is None


async def test_provider_opt_out_records_the_opt_out(services: Services, clock: FakeClock) -> None:
    api = FakeTwilioApi()
    api.fail_next[PHONES[0]] = [(400, 21610)]
    await _enqueue(services, PHONES[:1], clock())

    await _dispatcher(services, clock, TwilioSmsGateway(twilio_settings(), api)).run_until_idle()

    [row] = await _rows(services)
    assert row.status == outbox_states.OPTED_OUT
    async with services.session_factory() as session:
        opt_out = await session.get(OptOut, PHONES[0])
    assert opt_out is not None and opt_out.source == "provider_21610"


async def test_telegram_rows_go_through_the_telegram_sender(
    services: Services, clock: FakeClock
) -> None:
    sender = ConsoleTelegramSender(write=lambda _line: None)
    async with services.session_factory() as session, session.begin():
        await outbox.enqueue(
            session,
            channel="telegram",
            address="123456",
            body="Su caso fue atendido",
            kind="case_update",
            dedupe_key="case:1:update:1",
            due_at=clock(),
            now=clock(),
        )
    sms = ConsoleSmsGateway(write=lambda _line: None)

    await _dispatcher(services, clock, sms, telegram=sender).run_until_idle()

    assert sender.sent == [("123456", "Su caso fue atendido")]
    assert sms.sent == []
    [row] = await _rows(services)
    assert row.status == outbox_states.SENT


async def test_sending_is_paced_at_the_configured_rate(
    services: Services, clock: FakeClock
) -> None:
    waits: list[float] = []
    now = [100.0]

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    gateway = ConsoleSmsGateway(write=lambda _line: None)
    await _enqueue(services, PHONES, clock())

    await _dispatcher(
        services,
        clock,
        gateway,
        rate_per_second=2.0,
        sleep=fake_sleep,
        monotonic=lambda: now[0],
    ).run_until_idle()

    assert len(gateway.sent) == 5
    assert waits == [0.5, 0.5, 0.5, 0.5]  # 2 per second: 5 messages span 2 seconds


async def test_sms_due_at_night_in_galapagos_waits_for_the_morning(
    services: Services, clock: FakeClock
) -> None:
    # 01:30 UTC = 20:30 on the mainland (quiet) = 19:30 in Galápagos (not quiet).
    clock.current = datetime(2026, 11, 21, 1, 30, tzinfo=UTC)
    galapagos, mainland = PHONES[0], PHONES[1]
    async with services.session_factory() as session, session.begin():
        for phone, parish in ((galapagos, "200150"), (mainland, "111252")):
            session.add(
                Beneficiary(
                    cedula=phone[-10:],
                    names="Persona de prueba",
                    mobile=phone,
                    parish_code=parish,
                    programme="BDH",
                    status="activo",
                    row_hash="x",
                    updated_at=clock(),
                )
            )
    await _enqueue(services, [galapagos, mainland], clock())
    gateway = ConsoleSmsGateway(write=lambda _line: None)

    report = await _dispatcher(services, clock, gateway).run_until_idle()

    assert [m.to for m in gateway.sent] == [galapagos]
    assert report.deferred == 1
    rows = {r.address: r for r in await _rows(services)}
    assert rows[mainland].status == outbox_states.PENDING
    assert rows[mainland].attempts == 0
    assert rows[mainland].next_attempt_at == datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # 07:00


DROPPED_AFTER_ACCEPTED = "dropped_after_the_provider_accepted"


@pytest.mark.parametrize(
    "point", ["before_send", "after_send", DROPPED_AFTER_ACCEPTED, "before_commit"]
)
@pytest.mark.parametrize("victim", [0, 1, 4])
async def test_a_dispatcher_killed_at_any_step_loses_nothing_and_sends_nothing_twice(
    services: Services, clock: FakeClock, point: str, victim: int
) -> None:
    api = FakeTwilioApi()
    gateway = TwilioSmsGateway(twilio_settings(), api)
    await _enqueue(services, PHONES, clock())
    ids = [r.id for r in await _rows(services)]

    async def die(at: str, row_id: int) -> None:
        if at == point and row_id == ids[victim]:
            raise Killed

    first = _dispatcher(services, clock, gateway, batch_size=2, concurrency=1, checkpoint=die)
    if point == DROPPED_AFTER_ACCEPTED:
        # Twilio stores the message, then the connection drops before its answer is read.
        api.drop_after_accept.add(PHONES[victim])
        await first.run_until_idle()
    else:
        with pytest.raises(Killed):
            await first.run_until_idle()
    unsettled = (outbox_states.SENDING, outbox_states.UNCONFIRMED)
    stranded = {r.id: r.status for r in await _rows(services) if r.status in unsettled}
    assert stranded  # the kill left rows whose outcome the database does not know

    # A restarted dispatcher leaves fresh claims alone (another one may still be sending)...
    restarted = _dispatcher(services, clock, gateway, batch_size=2, concurrency=1)
    await restarted.run_until_idle()
    assert {r.id: r.status for r in await _rows(services) if r.id in stranded} == stranded
    # ...and reconciles them with the provider once their lease has expired.
    clock.advance(minutes=11)
    await restarted.run_until_idle()

    rows = await _rows(services)
    assert [r.status for r in rows] == [outbox_states.SENT] * 5
    for phone in PHONES:
        assert len(api.sent_to(phone)) == 1, phone
    assert {r.provider_sid for r in rows} == {m.sid for m in api.messages}


async def test_a_kill_after_the_console_gateway_sent_is_recorded_for_reconciliation(
    services: Services, clock: FakeClock
) -> None:
    lines: list[str] = []
    await _enqueue(services, PHONES[:1], clock())

    async def die(at: str, _row_id: int) -> None:
        if at == "after_send":
            raise Killed

    with pytest.raises(Killed):
        await _dispatcher(
            services, clock, ConsoleSmsGateway(write=lines.append), checkpoint=die
        ).run_until_idle()
    clock.advance(minutes=11)
    fresh_process = ConsoleSmsGateway(write=lines.append)
    await _dispatcher(services, clock, fresh_process).run_until_idle()

    [row] = await _rows(services)
    assert row.status == outbox_states.UNKNOWN
    assert row.last_error == "needs reconciliation"
    assert len(lines) == 1 and fresh_process.sent == []


async def test_a_connection_dropped_after_acceptance_sends_the_sms_once(
    services: Services, clock: FakeClock
) -> None:
    api = FakeTwilioApi()
    api.drop_after_accept.add(PHONES[0])
    gateway = TwilioSmsGateway(twilio_settings(), api)
    await _enqueue(services, PHONES[:1], clock())
    dispatcher = _dispatcher(services, clock, gateway)

    first = await dispatcher.run_until_idle()
    [row] = await _rows(services)
    assert (first.unconfirmed, row.status) == (1, outbox_states.UNCONFIRMED)
    for _ in range(5):  # a minute later, and later still: reconciled, never sent again
        clock.advance(minutes=1)
        await dispatcher.run_until_idle()

    [row] = await _rows(services)
    [message] = api.sent_to(PHONES[0])
    assert (row.status, row.provider_sid, row.attempts) == (outbox_states.SENT, message.sid, 1)
    assert len([r for r in api.requests if r.method == "POST"]) == 1
    lookups = [r for r in api.requests if r.method == "GET"]
    assert {str(r.params.get("To")) for r in lookups} == {PHONES[0]}
    assert any("DateSent>" in r.params for r in lookups)


async def test_a_connection_dropped_before_acceptance_is_sent_once_after_the_safe_window(
    services: Services, clock: FakeClock
) -> None:
    api = FakeTwilioApi()
    api.drop_before_accept.add(PHONES[0])
    gateway = TwilioSmsGateway(twilio_settings(), api)
    await _enqueue(services, PHONES[:1], clock())
    dispatcher = _dispatcher(services, clock, gateway)

    await dispatcher.run_until_idle()
    clock.advance(minutes=1)
    await dispatcher.run_until_idle()  # not due for a check yet: nothing sent
    assert api.messages == []
    clock.advance(minutes=1)
    await dispatcher.run_until_idle()  # not listed two minutes on: never received, send it

    [row] = await _rows(services)
    [message] = api.sent_to(PHONES[0])
    assert (row.status, row.provider_sid, row.attempts) == (outbox_states.SENT, message.sid, 2)


async def test_a_connection_that_never_opened_is_retried_without_reconciliation(
    services: Services, clock: FakeClock
) -> None:
    api = FakeTwilioApi()
    api.connect_fails_for.add(PHONES[0])
    gateway = TwilioSmsGateway(twilio_settings(), api)
    await _enqueue(services, PHONES[:1], clock())
    dispatcher = _dispatcher(services, clock, gateway)

    report = await dispatcher.run_until_idle()
    api.connect_fails_for.clear()
    clock.advance(minutes=1)
    await dispatcher.run_until_idle()

    assert report.retried == 1
    [row] = await _rows(services)
    assert (row.status, row.attempts) == (outbox_states.SENT, 2)
    assert [r.method for r in api.requests] == ["POST"]  # no lookups needed


async def test_an_unconfirmed_send_the_provider_cannot_be_asked_about_is_flagged_not_resent(
    services: Services, clock: FakeClock
) -> None:
    api = FakeTwilioApi()
    api.drop_before_accept.add(PHONES[0])
    api.lookups_unavailable = True
    gateway = TwilioSmsGateway(twilio_settings(), api)
    await _enqueue(services, PHONES[:1], clock())
    dispatcher = _dispatcher(services, clock, gateway)

    await dispatcher.run_until_idle()
    checks: list[int] = []
    for _ in range(outbox_states.RECONCILE_CHECKS + 2):
        clock.advance(days=1)
        await dispatcher.run_until_idle()
        [row] = await _rows(services)
        checks.append(row.reconcile_checks)

    [row] = await _rows(services)
    assert (row.status, row.last_error) == (outbox_states.UNKNOWN, "needs reconciliation")
    assert checks[:3] == [1, 2, 3]  # stays unconfirmed while asking again
    assert api.messages == [] and len([r for r in api.requests if r.method == "POST"]) == 1
