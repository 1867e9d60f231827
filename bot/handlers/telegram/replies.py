"""Sends a chat's queued Telegram replies from the outbox, right after the turn that wrote them.

The reply lane (`notificaciones.reply_lane`) does the claiming, ordering and settling for every
chat of the process; here it sends through the application's own `Bot` (its rate limiter, its
HTTP pool: latency as before the outbox).
"""

from __future__ import annotations

from telegram import Bot

from bot.services.container import Services
from notificaciones.gateways.sms import SendOutcome
from notificaciones.gateways.telegram import PtbTelegramSender
from notificaciones.outbox_states import ClaimedMessage
from notificaciones.reply_lane import ReplyLane


class ChatReplySender(ReplyLane):
    """The Telegram reply lane of one process."""

    def __init__(self, services: Services, bot: Bot, *, worker: str | None = None) -> None:
        super().__init__(
            channel="telegram",
            send=self._send_text,
            session_factory=services.session_factory,
            clock=services.clock,
            max_attempts=services.settings.sms_max_attempts,
            worker=worker,
        )
        self.sender = PtbTelegramSender(services.settings, bot=bot)

    async def _send_text(self, message: ClaimedMessage) -> SendOutcome:
        return await self.sender.send_text(message.address, message.body, message.buttons)
