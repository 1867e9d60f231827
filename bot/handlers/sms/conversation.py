"""SMS and WhatsApp as conversation channels: keywords first, then the flow engine.

One inbound message is handled exactly once, in one transaction: its MessageSid is recorded
with what was done (`inbound_sms.outcome`), and the answer is written as one outbox row with its
price (`bot.services.phone_messages`), which the webhook then hands to the dispatcher at once.
A replayed MessageSid finds its row and does nothing: the answer is already queued or sent.
Order of precedence: the keywords of `bot.handlers.sms.inbound` (BAJA/STOP always win), the
reply limits (one short notice per limit and window, the message is recorded, not run), then
the same flows as Telegram, with channel "sms" or "whatsapp" and the E.164 phone as address.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.channels import OPT_OUT_CONFIRMATION, REPLY, REPLY_LIMIT
from bot.domain.text import clean_input
from bot.flows.base import Incoming, Reply
from bot.flows.engine import Delivery, FlowEngine
from bot.handlers.sms.inbound import (
    first_delivery,
    is_keyword,
    keyword_reply,
    sender_translator,
)
from bot.handlers.sms.render import render
from bot.i18n import Translator, normalise_locale
from bot.services.container import Services
from bot.services.phone_messages import (
    LimitReached,
    enqueue_reply,
    note_inbound,
    sender_state,
)
from bot.storage.models import InboundSms
from notificaciones.audiences import phone_locales

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InboundMessage:
    """One message a phone sent us, as the webhook parsed it."""

    channel: str  # "sms" or "whatsapp"
    phone: str  # E.164
    body: str
    message_sid: str
    media: str | None = None  # "photo", "voice", "video", "document", "location"…


@dataclass(frozen=True)
class Handled:
    """What was done with an inbound message and the outbox rows to send now."""

    outcome: str
    outbox_ids: tuple[int, ...] = ()


@dataclass
class _TurnRecorder:
    """Records the MessageSid and queues the turn's one reply inside the engine's transaction."""

    conversations: PhoneConversations
    message: InboundMessage
    key: str
    replayed: bool = False
    ids: list[int] = field(default_factory=list)

    async def admit(self, session: AsyncSession) -> bool:
        now = self.conversations.services.clock()
        if self.message.message_sid and not await first_delivery(
            session, self.message.message_sid, now=now, outcome="turn"
        ):
            self.replayed = True
            return False
        return True

    async def record(self, session: AsyncSession, delivery: Delivery) -> None:
        if not delivery.replies:
            return
        tr = Translator(normalise_locale(delivery.locale))
        text = render(delivery.replies, tr, self.message.channel)
        row = await self.conversations.queue(session, self.message, text, key=self.key)
        if row is not None:
            self.ids.append(row)


class PhoneConversations:
    """Handles inbound SMS and WhatsApp messages: keywords, limits, then conversation turns."""

    def __init__(self, services: Services, engine: FlowEngine) -> None:
        self.services = services
        self.engine = engine

    async def handle(self, message: InboundMessage) -> Handled:
        """Acts on one inbound message once; returns what was done and the rows to send.

        Raises `StorageUnavailable` when the database cannot be reached (nothing was saved).
        """
        settings, now = self.services.settings, self.services.clock()
        sid = message.message_sid[:64]
        message = InboundMessage(
            message.channel, message.phone, clean_input(message.body), sid, message.media
        )
        key = f"reply:{sid}" if sid else f"reply:nosid:{secrets.token_hex(12)}"
        async with self.services.session_factory() as session, session.begin():
            if message.body and is_keyword(message.body):
                return await self._keyword(session, message, key)
            sender = await sender_state(session, settings, message.channel, message.phone, now)
            if sender.opted_out:
                # Opted-out numbers get nothing, not even a help text, until they write ALTA.
                if sid and not await first_delivery(
                    session, sid, now=now, outcome="ignored_opted_out"
                ):
                    return Handled("replay")
                return Handled("ignored_opted_out")
            if sender.limit is not None:
                return await self._limited(session, message, sender.limit)
            locale = None
            if not sender.known_contact:
                # A phone new on this channel is answered in the language it is known by (a
                # person who chose English on Telegram and gave this phone).
                locale = (await phone_locales(session, [message.phone])).get(message.phone)
        recorder = _TurnRecorder(self, message, key)
        incoming = Incoming(
            channel=message.channel,
            address=message.phone,
            text=message.body,
            media=message.media,
            locale=locale,
        )
        await self.engine.handle(incoming, retry_later=True, recorder=recorder)
        if recorder.replayed:
            return Handled("replay")
        return Handled("turn", tuple(recorder.ids))

    async def _keyword(self, session: AsyncSession, message: InboundMessage, key: str) -> Handled:
        settings, now, sid = self.services.settings, self.services.clock(), message.message_sid
        if sid and await session.get(InboundSms, sid) is not None:
            return Handled("replay")
        keyword = await keyword_reply(session, settings, message.phone, message.body, now)
        if keyword is None:  # not reached: `is_keyword` said it was one
            return Handled("not_a_keyword")
        if sid and not await first_delivery(session, sid, now=now, outcome=keyword.keyword):
            return Handled("replay")
        await note_inbound(session, message.channel, message.phone, now=now)
        if keyword.text is None:
            return Handled(keyword.keyword)
        tr = await sender_translator(session, settings, message.phone)
        kind = OPT_OUT_CONFIRMATION if keyword.keyword == "opt_out" else REPLY
        text = render([Reply(keyword.text)], tr, message.channel)
        row = await self.queue(session, message, text, key=key, kind=kind)
        return Handled(keyword.keyword, (row,) if row is not None else ())

    async def _limited(
        self, session: AsyncSession, message: InboundMessage, limit: LimitReached
    ) -> Handled:
        settings, now, sid = self.services.settings, self.services.clock(), message.message_sid
        if sid and not await first_delivery(session, sid, now=now, outcome="limited"):
            return Handled("replay")
        log.info("Inbound %s message over the %s limit", message.channel, limit.limit)
        tr = await sender_translator(session, settings, message.phone)
        text = render([Reply(_limit_text(tr, self.services, limit))], tr, message.channel)
        limit_key = f"limit:{limit.limit}:{limit.window}:{message.channel}:{message.phone}"
        row = await self.queue(session, message, text, key=limit_key, kind=REPLY_LIMIT)
        return Handled("limited", (row,) if row is not None else ())

    async def queue(
        self,
        session: AsyncSession,
        message: InboundMessage,
        text: str,
        *,
        key: str,
        kind: str = REPLY,
    ) -> int | None:
        """Writes one answer to the phone as a priced outbox row, due now."""
        return await enqueue_reply(
            session,
            self.services.settings,
            channel=message.channel,
            phone=message.phone,
            body=text,
            key=key,
            now=self.services.clock(),
            kind=kind,
        )


def _limit_text(tr: Translator, services: Services, limit: LimitReached) -> str:
    ministry, phone = services.settings.ministry_name, services.settings.call_centre
    if limit.limit == "rate":
        return tr.t(
            "{ministry}: recibimos muchos mensajes seguidos de este número. Espere unos minutos "
            "y escriba de nuevo.",
            ministry=ministry,
        )
    if limit.limit == "daily":
        return tr.t(
            "{ministry}: llegó al límite de mensajes de hoy. Escriba de nuevo mañana o llame "
            "gratis al {phone}.",
            ministry=ministry,
            phone=phone,
        )
    return tr.t(
        "{ministry}: hoy no podemos responder más mensajes por este medio. Llame gratis al "
        "{phone} o escriba de nuevo mañana.",
        ministry=ministry,
        phone=phone,
    )
