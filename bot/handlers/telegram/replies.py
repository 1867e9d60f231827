"""Sends a chat's queued replies from the outbox, right after the turn that wrote them committed.

The turn's transaction wrote its replies as pending outbox rows; this claims every pending reply
of the chat (an earlier turn's leftovers first), sends them one by one through the application's
own `Bot` (its rate limiter, its HTTP pool: latency as before the outbox), and stores each
outcome with the state machine's moves. Only one sender holds a chat's replies at a time, so
replies leave in the order their turns committed even when the next turn ran on another
replica; a sender that seems dead is waited for at most `BUSY_WAIT_SECONDS`. If this process
dies between the turn's commit and the claim, the rows stay pending and a dispatcher sends them
after `outbox_states.REPLY_GRACE`; once claimed, a reply is never sent twice.
"""

from __future__ import annotations

import asyncio
import logging
import time

from telegram import Bot

from bot.flows.engine import Checkpoint, no_checkpoint
from bot.services.container import Services
from notificaciones import outbox_states
from notificaciones.dispatcher import default_worker_name, settlement_for
from notificaciones.gateways.telegram import PtbTelegramSender

log = logging.getLogger(__name__)

BUSY_WAIT_SECONDS = 2.0
BUSY_POLL_SECONDS = 0.01


class ChatReplySender:
    """Sends the pending replies of one chat at a time, in order, exactly once each."""

    def __init__(self, services: Services, bot: Bot, *, worker: str | None = None) -> None:
        self.services = services
        self.sender = PtbTelegramSender(services.settings, bot=bot)
        self.worker = worker or default_worker_name()
        self.checkpoint: Checkpoint = no_checkpoint  # "after_send": a fault test's crash point

    async def send_pending(self, chat_id: int | str) -> int:
        """Sends every pending reply to `chat_id`, one claimed at a time; returns how many.

        Each reply's outcome is stored in the transaction that claims the next one.
        """
        address = str(chat_id)
        handed = 0
        settled: list[outbox_states.Settlement] = []
        deadline = time.monotonic() + BUSY_WAIT_SECONDS
        while True:
            overdue = time.monotonic() >= deadline
            now = self.services.clock()
            async with self.services.session_factory() as session, session.begin():
                await outbox_states.store_settlements(session, settled, now=now)
                settled = []
                claimed = await outbox_states.claim_chat_replies(
                    session,
                    channel="telegram",
                    address=address,
                    worker=self.worker,
                    now=now,
                    force=overdue,
                )
            if claimed is None:
                await asyncio.sleep(BUSY_POLL_SECONDS)
                continue
            if overdue:
                log.warning("a chat's earlier reply stayed in another sender's hands; sent on")
            if not claimed:
                return handed
            [message] = claimed
            outcome = await self.sender.send_text(message.address, message.body, message.buttons)
            handed += 1
            await self.checkpoint("after_send")
            settled = [
                settlement_for(
                    message,
                    outcome,
                    self.services.clock(),
                    max_attempts=self.services.settings.sms_max_attempts,
                )
            ]
