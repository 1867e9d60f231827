"""A Telegram notice to a chat that blocked the bot reaches the person once, by SMS.

python-telegram-bot's real `Bot` talks to the fake Bot API (which answers 403 «bot was blocked»
or 400 «chat not found» like the real server); SMS go through the real `TwilioSmsGateway` into
the faked Twilio API. Exactly one of the two channels carries each notice, never both, never
twice, however many times the dispatcher runs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.services.container import Services
from bot.storage.models import Contact, Event, OutboxMessage, Subscription
from notificaciones import outbox, outbox_states
from notificaciones.dispatcher import Dispatcher
from notificaciones.jobs import run_jobs
from tests.integration.test_telegram_sender import BLOCKED, GONE, OK, RefusingBotApi, _sender
from tests.support.clock import FakeClock
from tests.support.phone_line import configure_twilio
from tests.support.twilio_fake import FakeTwilioApi

TACAMOROS = "111252"
PHONE = "+593991230001"


async def _person(
    services: Services, clock: FakeClock, chat: int, *, sms: str | None, telegram_events: bool
) -> None:
    """A Telegram contact; `sms`: the phone they subscribed to SMS notices with (consent)."""
    async with services.session_factory() as session, session.begin():
        contact = Contact(
            channel="telegram", address=str(chat), created_at=clock(), last_seen_at=clock()
        )
        session.add(contact)
        await session.flush()
        subscriptions = [("sms", sms)] if sms else []
        if telegram_events:
            subscriptions.append(("telegram", str(chat)))
        for channel, address in subscriptions:
            session.add(
                Subscription(
                    contact_id=contact.id,
                    parish_code=TACAMOROS,
                    channel=channel,
                    address=address,
                    topic="eventos",
                    consent_at=clock(),
                    created_at=clock(),
                )
            )


async def _notice(services: Services, clock: FakeClock, chat: int, key: str) -> None:
    async with services.session_factory() as session, session.begin():
        await outbox.enqueue(
            session,
            channel="telegram",
            address=str(chat),
            body="Su caso 2026-000123 fue atendido ✅",
            kind="caso",
            dedupe_key=key,
            due_at=clock(),
            now=clock(),
        )


def _dispatcher(services: Services, bot_api: RefusingBotApi, sms_api: FakeTwilioApi) -> Dispatcher:
    from notificaciones.gateways.twilio import TwilioSmsGateway

    configure_twilio(services)
    return Dispatcher(
        services.session_factory,
        services.settings,
        TwilioSmsGateway(services.settings, sms_api),
        telegram=_sender(services.settings, bot_api),
        clock=services.clock,
    )


async def _rows(services: Services) -> list[OutboxMessage]:
    async with services.session_factory() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_a_notice_to_a_blocked_chat_arrives_once_by_sms_and_never_twice(
    services: Services, clock: FakeClock
) -> None:
    bot_api, sms_api = RefusingBotApi(), FakeTwilioApi()
    await _person(services, clock, BLOCKED, sms=PHONE, telegram_events=False)
    await _notice(services, clock, BLOCKED, f"caso:1:update:1:telegram:{BLOCKED}")
    dispatcher = _dispatcher(services, bot_api, sms_api)

    for _ in range(3):
        await dispatcher.run_until_idle()
        clock.advance(hours=1)

    assert len(bot_api.sent(BLOCKED)) == 1  # tried once on Telegram, refused
    assert [m.body for m in sms_api.sent_to(PHONE)] == ["Su caso 2026-000123 fue atendido"]
    telegram_row, sms_row = await _rows(services)
    assert (telegram_row.status, telegram_row.last_error) == (
        outbox_states.FAILED,
        "telegram: bot blocked",
    )
    assert (sms_row.channel, sms_row.status, sms_row.kind) == ("sms", outbox_states.SENT, "caso")
    async with services.session_factory() as session:
        contact = await session.scalar(select(Contact).where(Contact.address == str(BLOCKED)))
    assert contact is not None and contact.unreachable_at is not None

    # The next notice is not tried on Telegram at all: it goes straight to SMS.
    await _notice(services, clock, BLOCKED, f"caso:1:update:2:telegram:{BLOCKED}")
    await dispatcher.run_until_idle()

    assert len(bot_api.sent(BLOCKED)) == 1
    assert len(sms_api.sent_to(PHONE)) == 2


async def test_a_subscriber_on_both_channels_gets_the_announcement_once_by_sms(
    services: Services, clock: FakeClock
) -> None:
    bot_api, sms_api = RefusingBotApi(), FakeTwilioApi()
    await _person(services, clock, GONE, sms=PHONE, telegram_events=True)
    async with services.session_factory() as session, session.begin():
        session.add(
            Event(
                kind="brigada_social",
                title="Brigada Social",
                parish_code=TACAMOROS,
                starts_at=clock() + timedelta(days=1, hours=2),
                place="Casa comunal",
                reminder_offsets_minutes=[1440],
                created_at=clock(),
            )
        )
    async with services.session_factory() as session, session.begin():
        await run_jobs(session, services.settings, clock())
    dispatcher = _dispatcher(services, bot_api, sms_api)

    clock.advance(hours=3)
    for _ in range(3):
        await dispatcher.run_until_idle()

    assert len(bot_api.sent(GONE)) == 1  # «chat not found»
    assert len(sms_api.sent_to(PHONE)) == 1  # its own SMS row; the fallback found it, added none
    assert [r.channel for r in await _rows(services)] == ["sms", "telegram"]


async def test_without_sms_consent_nothing_is_sent_and_the_chat_is_marked(
    services: Services, clock: FakeClock
) -> None:
    bot_api, sms_api = RefusingBotApi(), FakeTwilioApi()
    await _person(services, clock, BLOCKED, sms=None, telegram_events=True)
    await _person(services, clock, OK, sms=None, telegram_events=True)
    await _notice(services, clock, BLOCKED, "caso:9:telegram")
    await _notice(services, clock, OK, "caso:10:telegram")

    await _dispatcher(services, bot_api, sms_api).run_until_idle()

    assert sms_api.messages == [] and len(bot_api.texts(OK)) == 1
    async with services.session_factory() as session:
        result = await session.execute(select(Contact.address, Contact.unreachable_at))
        marks = {address: mark for address, mark in result.all()}
    assert marks[str(OK)] is None and marks[str(BLOCKED)] is not None
    assert datetime(2026, 1, 1, tzinfo=UTC) < marks[str(BLOCKED)]  # type: ignore[operator]
