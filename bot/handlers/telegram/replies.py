"""Sends a chat's queued Telegram replies from the outbox, right after the turn that wrote them.

The reply lane (`notificaciones.reply_lane`) does the claiming, ordering and settling for every
chat of the process; here it sends through the application's own `Bot` (its rate limiter, its
HTTP pool: latency as before the outbox). On PostgreSQL the replies of every replica share the
bot's `telegram` budget with the notices (TELEGRAM_RATE_PER_SECOND, `notificaciones.budgets`);
a chat's own 1-per-second guideline is not applied to a turn's answer, which the person awaits.
"""

from __future__ import annotations

from telegram import Bot

from bot.services.container import Services
from notificaciones.budgets import TELEGRAM, Budget
from notificaciones.gateways.sms import SendOutcome
from notificaciones.gateways.telegram import PtbTelegramSender
from notificaciones.outbox_states import ClaimedMessage
from notificaciones.reply_lane import ReplyLane


class ChatReplySender(ReplyLane):
    """The Telegram reply lane of one process."""

    def __init__(
        self,
        services: Services,
        bot: Bot,
        *,
        worker: str | None = None,
        shared_budget: bool = False,
    ) -> None:
        settings = services.settings
        budget = Budget(TELEGRAM, settings.telegram_rate_per_second) if shared_budget else None
        super().__init__(
            channel="telegram",
            send=self._send_text,
            session_factory=services.session_factory,
            clock=services.clock,
            max_attempts=services.settings.sms_max_attempts,
            worker=worker,
            budget=budget,
        )
        self.sender = PtbTelegramSender(services.settings, bot=bot)

    async def _send_text(self, message: ClaimedMessage) -> SendOutcome:
        return await self.sender.send_text(message.address, message.body, message.buttons)
