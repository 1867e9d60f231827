"""A parish with citizens subscribed to its event reminders, for erase and unsubscribe tests.

One Tacamoros (parish 111252) brigade on `EVENT_STARTS` with reminders 7 days and 1 day before;
citizens subscribe through the real flow (Telegram chat, then SMS to a phone), the real job
queues the reminders, and `deliver_everything` moves the clock past them and dispatches.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.flows.engine import FlowEngine
from bot.services.container import Services
from bot.storage.models import Event
from notificaciones.dispatcher import Dispatcher
from notificaciones.gateways.sms import ConsoleSmsGateway, SmsGateway
from notificaciones.gateways.telegram import ConsoleTelegramSender
from notificaciones.jobs import run_jobs
from tests.support.chat import Chat
from tests.support.clock import FakeClock

CHAT, PHONE = "5550001", "+593991234567"
OTHER_CHAT, OTHER_PHONE = "5550002", "+593997654321"
EVENT_STARTS = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)  # reminders 7 and 1 days before
DELIVERY_TIME = datetime(2026, 12, 9, 16, 0, tzinfo=UTC)  # 11:00 in Loja, the day before


async def subscribe(engine: FlowEngine, chat_id: str, phone: str) -> Chat:
    """A Telegram citizen who asks for Tacamoros reminders by Telegram and by SMS."""
    chat = Chat(engine, channel="telegram", address=chat_id)
    for option in ("sub_telegram", "sub_sms"):
        await chat.say("/eventos Tacamoros")
        await chat.press(option)
        if option == "sub_sms":
            await chat.say(phone)
        await chat.press("accept")
    return chat


async def queue_reminders(services: Services, clock: FakeClock, *, expected: int) -> None:
    """Creates the brigade and runs the jobs, which must queue `expected` reminders."""
    async with services.session_factory() as session, session.begin():
        session.add(
            Event(
                kind="brigada_social",
                title="Brigada Social",
                parish_code="111252",
                starts_at=EVENT_STARTS,
                place="Casa comunal",
                reminder_offsets_minutes=[10080, 1440],
                created_at=clock(),
            )
        )
    async with services.session_factory() as session, session.begin():
        queued = await run_jobs(session, services.settings, clock())
    assert queued.announcements == expected


def dispatcher(services: Services, clock: FakeClock, sms: SmsGateway) -> Dispatcher:
    """The dispatcher of the test's services, sending SMS through `sms`, Telegram to a console."""
    telegram = ConsoleTelegramSender(write=lambda _line: None)
    return Dispatcher(
        services.session_factory, services.settings, sms, clock=clock, telegram=telegram
    )


async def deliver_everything(
    services: Services, clock: FakeClock
) -> tuple[ConsoleSmsGateway, ConsoleTelegramSender]:
    """Moves the clock past every reminder and sends whatever is still due."""
    clock.current = DELIVERY_TIME
    sms = ConsoleSmsGateway(write=lambda _line: None)
    sender = dispatcher(services, clock, sms)
    await sender.run_until_idle()
    assert isinstance(sender.telegram, ConsoleTelegramSender)
    return sms, sender.telegram
