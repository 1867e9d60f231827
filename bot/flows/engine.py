"""The flow engine: one incoming message in, replies out, state saved in the database.

Every channel (Telegram, SMS, console) calls `FlowEngine.handle`. One call is one database
transaction: the conversation row is locked (on PostgreSQL), the flow step runs with the same
session, and the new state is saved with the replies' options, so a restart or another replica
continues exactly where the user was. The saved data is only what the next step needs: a
finished flow leaves the menu's question, not its last reply (a payment status, say), and an
expired conversation's data is cleared when read (`bot/storage/conversation_retention.py`
purges the ones nobody comes back to).

An answer is dispatched through the current flow's `steps()` table with the flow's typed state,
read from (and written back to) the engine's envelope in `conversations.data`
(`bot/flows/saved_state.py`). A step the flow does not declare, or a state that no longer fits
its type, is logged as an error and answered in plain Spanish with the menu: never a crash,
never a silent restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.domain.errors import DomainError
from bot.domain.long_text import keep_up_to
from bot.domain.text import fold, name_key
from bot.domain.yes_no import read_yes_no
from bot.flows import turns
from bot.flows.base import (
    MAX_TEXT_CHARS,
    PHONE_CHANNELS,
    Answer,
    Flow,
    FlowContext,
    Incoming,
    Opening,
    Option,
    Outcome,
    Reply,
)
from bot.flows.handoff_chat import handoff_replies
from bot.flows.long_answers import kept_note
from bot.flows.media import caption_note, media_reply
from bot.flows.saved_state import (
    UnreadableState,
    dump_state,
    envelope,
    held_options,
    hold_options,
    last_question,
    load_state,
    without_held_options,
)
from bot.flows.turn_replies import outbox_replies
from bot.i18n import Translator, normalise_locale
from bot.services import handoff
from bot.services.container import Services
from bot.storage.conversation_retention import HELD, TIMED_OUT
from bot.storage.db import StorageUnavailable, is_unavailable
from bot.storage.models import Contact, Conversation
from bot.storage.upsert import insert_ignore
from notificaciones.outbox import enqueue_replies

log = logging.getLogger(__name__)

MENU = "menu"
# Whole messages (folded) that act from any step, in Spanish and in English whatever the locale.
MENU_WORDS = {
    *("menu", "/menu", "inicio", "/inicio", "volver", "/volver"),
    *("main menu", "back", "go back", "start over"),
}
CANCEL_WORDS = {
    *("cancelar", "/cancelar", "/cancel", "cancel"),
    *("never mind", "nevermind", "quit", "exit"),
}
START_WORDS = {
    *("/start", "hola", "buenas", "buenos dias", "buenas tardes", "buenas noches"),
    *("hi", "hello", "hey", "hi there", "hello there"),
    *("good morning", "good afternoon", "good evening"),
}
MAX_STEPS_PER_MESSAGE = 8
# Option keys the engine answers itself, whatever the flow: «go:<flow>» opens that flow, «stay»
# goes back to the question the citizen was answering.
GO = "go:"
STAY = "stay"
# A typed yes/no picks the one offered option that reads the same («si» → «Sí, avísenme»), in
# answers this short; a longer text is the citizen's own words for the flow.
YES_NO_MAX_WORDS = 4
# `contacts.last_seen_at` is rewritten only when it is older than this, not on every message:
# one UPDATE less per message in a conversation, and "last seen" stays exact to 5 minutes.
LAST_SEEN_RESOLUTION = timedelta(minutes=5)
# The hot path: the conversation (locked) and its contact in one round trip. Built once, so its
# cache key and compiled form are reused; a first message falls back to creating the rows.
_CONVERSATION_AND_CONTACT = (
    select(Conversation, Contact)
    .join(
        Contact,
        and_(Contact.channel == Conversation.channel, Contact.address == Conversation.address),
    )
    .where(
        Conversation.channel == bindparam("channel"),
        Conversation.address == bindparam("address"),
    )
    .with_for_update(of=Conversation)
)


Checkpoint = Callable[[str], Awaitable[None]]


async def no_checkpoint(_point: str) -> None:
    """The default: nothing happens at a point of a turn (fault tests put a crash there)."""


@dataclass(frozen=True)
class Delivery:
    """The replies to send and the conversation turn their buttons belong to.

    `queued`: the replies are outbox rows of the turn (a message with a `message_key`), to be
    sent by `claim_chat_replies`, not from `replies`. `redelivered`: the message had run
    before; nothing ran now (its replies, if still unsent, are in the outbox).
    """

    replies: list[Reply]
    turn: int
    locale: str | None = None  # the contact's language, for a channel's own words around them
    queued: bool = False
    redelivered: bool = False


class TurnRecorder(Protocol):
    """Lets a channel act inside the turn's own transaction (SMS: exactly once, replies queued).

    `admit` runs first (False: the message was handled before; nothing runs, no replies);
    `record` runs last with the replies, before the commit, so the turn, the message's id and
    the replies as outbox rows are saved together or not at all.
    """

    async def admit(self, session: AsyncSession) -> bool:
        """Records the inbound message; False when it is a replay."""
        ...

    async def record(self, session: AsyncSession, delivery: Delivery) -> None:
        """Stores what the turn answered (e.g. as outbox rows)."""
        ...


class FlowEngine:
    """Routes each incoming message to the user's current flow and keeps its state."""

    def __init__(
        self, services: Services, flows: Sequence[Flow], *, order_wait: float = 0.0
    ) -> None:
        self.services = services
        # Seconds a keyed message waits, recorded, before it runs (webhook replicas: see
        # `bot.flows.turns`); 0 where one process receives a channel's messages in order.
        self.order_wait = order_wait
        # Channels whose keyed messages reach this process alone and in order (Telegram's long
        # polling): a redelivery is told by the conversation's last sequence, with no ledger
        # row. Webhook replicas empty it (an earlier update may arrive after a later one).
        self.sequenced_channels: frozenset[str] = turns.SEQUENCED_CHANNELS
        # Called at the points of a turn where a crash matters ("before_commit",
        # "after_commit"): the multi-process fault test kills its replica there.
        self.checkpoint: Checkpoint = no_checkpoint
        self._recorded: set[tuple[str, str, str]] = set()  # keys `record` wrote, not yet run
        self.flows: dict[str, Flow] = {flow.name: flow for flow in flows}
        if MENU not in self.flows:
            raise ValueError("a 'menu' flow is required")
        self.commands: dict[str, str] = {}
        for flow in flows:
            for command in flow.commands:
                self.commands[command] = flow.name

    @metrics.observed_turn
    async def handle(
        self,
        incoming: Incoming,
        *,
        retry_later: bool = False,
        recorder: TurnRecorder | None = None,
    ) -> Delivery:
        """Handles one message and returns the replies; never raises for user input.

        With `retry_later`, a database that cannot be reached raises `StorageUnavailable`
        (nothing was saved), so the channel can keep the message and bring it back. A
        `recorder` acts inside the turn's transaction (see `TurnRecorder`).
        """
        try:
            if incoming.message_key is not None and recorder is None:
                return await self._handle_once(incoming)
            return await self._handle(incoming, recorder)
        except Exception as error:
            if retry_later and is_unavailable(error):
                raise StorageUnavailable from error
            log.exception("flow failure on channel %s", incoming.channel)
            return await self._recover(incoming, recorder)

    async def _handle(self, incoming: Incoming, recorder: TurnRecorder | None) -> Delivery:
        now = self.services.clock()
        async with self.services.session_factory() as session, session.begin():
            if recorder is not None and not await recorder.admit(session):
                return Delivery([], 0)
            conv, contact = await _conversation_and_contact(session, incoming, now)
            tr = Translator(normalise_locale(contact.locale))
            ctx = FlowContext(
                session=session,
                services=self.services,
                contact=contact,
                tr=tr,
                now=now,
                channel=incoming.channel,
                address=incoming.address,
                text=incoming.text or "",
            )
            replies = await self._route(ctx, conv, incoming)
            conv.turn += 1
            conv.updated_at = now
            conv.expires_at = now + timedelta(
                minutes=self.services.settings.conversation_timeout_minutes
            )
            if now - contact.last_seen_at >= LAST_SEEN_RESOLUTION:
                contact.last_seen_at = now
            if incoming.channel in PHONE_CHANNELS and (
                contact.last_inbound_at is None
                or now - contact.last_inbound_at >= LAST_SEEN_RESOLUTION
            ):
                # WhatsApp's 24-hour window starts here; kept to 5 minutes (an earlier time
                # only closes the window sooner), so not every message rewrites the row.
                contact.last_inbound_at = now
            if contact.unreachable_at is not None:
                contact.unreachable_at = None  # the person wrote again: reachable here
            delivery = Delivery(replies, conv.turn, contact.locale)
            if recorder is not None:
                await recorder.record(session, delivery)
            return delivery

    async def record(self, incoming: Incoming) -> None:
        """Records a keyed message as waiting, in a short transaction of its own.

        Webhook replicas call it as soon as an update arrives, before any in-process queue or
        lock, then wait `order_wait` and hand the update over to `handle`: by then an earlier
        message of the chat that reached another replica is recorded too.
        """
        async with self.services.session_factory() as session, session.begin():
            await turns.record_waiting(session, incoming, self.services.clock())
        self._recorded.add(_key_of(incoming))

    async def _handle_once(self, incoming: Incoming) -> Delivery:
        """A keyed message: recorded, run once and in the chat's order, replies to the outbox."""
        assert incoming.message_key is not None
        sequence = incoming.sequence or 0
        key = _key_of(incoming)
        recorded = key in self._recorded
        self._recorded.discard(key)
        if self.order_wait > 0 and not recorded:
            await self.record(incoming)
            await asyncio.sleep(self.order_wait)
        now = self.services.clock()
        async with self.services.session_factory() as session, session.begin():
            conv, contact = await _conversation_and_contact(session, incoming, now)
            ctx = FlowContext(
                session=session,
                services=self.services,
                contact=contact,
                tr=Translator(normalise_locale(contact.locale)),
                now=now,
                channel=incoming.channel,
                address=incoming.address,
            )
            if self.order_wait <= 0 and incoming.channel in self.sequenced_channels:
                # Long polling: updates in update_id order, the conversation keeps the last.
                # Only turns change a Telegram conversation, so `updated_at` is when it ran.
                if turns.run_before(conv.last_sequence, conv.updated_at, sequence, now):
                    log.info("update on %s delivered again: not run twice", incoming.channel)
                    return Delivery([], conv.turn, queued=True, redelivered=True)
                replies = await self._turn(ctx, conv, contact, incoming)
                await self.checkpoint("before_commit")
                return Delivery(replies, conv.turn, queued=True)
            if self.order_wait <= 0:
                # One receiver per channel (the console): the row is written as run.
                if not await turns.record_done(session, incoming, now, conv.turn + 1):
                    return await self._already_recorded(session, conv, incoming, ctx, now)
                replies = await self._turn(ctx, conv, contact, incoming)
                await self.checkpoint("before_commit")
                return Delivery(replies, conv.turn, queued=True)
            waiting = await turns.waiting_up_to(
                session, incoming.channel, incoming.address, sequence
            )
            if not any(w.message_key == incoming.message_key for w in waiting):
                return await self._already_recorded(session, conv, incoming, ctx, now)
            mine: list[Reply] = []
            done: list[tuple[int, int]] = []
            for message in waiting:
                replies = await self._turn(ctx, conv, contact, message.incoming)
                done.append((message.id, conv.turn))
                if message.message_key == incoming.message_key:
                    mine = replies
            await turns.mark_done(session, done, now)
            await self.checkpoint("before_commit")
            return Delivery(mine, conv.turn, queued=True)

    async def _already_recorded(
        self,
        session: AsyncSession,
        conv: Conversation,
        incoming: Incoming,
        ctx: FlowContext,
        now: Any,
    ) -> Delivery:
        """A message whose row exists: run before (redelivered), or recorded and not yet run."""
        assert incoming.message_key is not None
        status = await turns.status_of(session, incoming)
        if status == turns.WAITING:
            # Recorded by a replica that died before running it: run it now, in its place.
            waiting = await turns.waiting_up_to(
                session, incoming.channel, incoming.address, incoming.sequence or 0
            )
            message = next((w for w in waiting if w.message_key == incoming.message_key), None)
            if message is not None:
                replies = await self._turn(ctx, conv, ctx.contact, message.incoming)
                await turns.mark_done(session, [(message.id, conv.turn)], now)
                return Delivery(replies, conv.turn, queued=True)
        log.info("message %s on %s delivered again: not run twice", "(key)", incoming.channel)
        return Delivery([], conv.turn, queued=True, redelivered=True)

    async def _turn(
        self, ctx: FlowContext, conv: Conversation, contact: Contact, incoming: Incoming
    ) -> list[Reply]:
        """Runs one keyed message on the locked conversation and queues its replies."""
        assert incoming.message_key is not None
        sequence = incoming.sequence or 0
        if conv.last_sequence is not None and sequence < conv.last_sequence:
            log.warning(
                "message on %s arrived after a later one of its chat: run out of order",
                incoming.channel,
            )
        replies = await self._route(ctx, conv, incoming)
        conv.turn += 1
        conv.last_sequence = max(sequence, conv.last_sequence or sequence)
        conv.updated_at = ctx.now
        conv.expires_at = ctx.now + timedelta(
            minutes=self.services.settings.conversation_timeout_minutes
        )
        if ctx.now - contact.last_seen_at >= LAST_SEEN_RESOLUTION:
            contact.last_seen_at = ctx.now
        if contact.unreachable_at is not None:
            contact.unreachable_at = None  # the person wrote again: reachable here
        await enqueue_replies(
            ctx.session,
            channel=incoming.channel,
            address=incoming.address,
            turn_key=incoming.message_key,
            replies=outbox_replies(incoming.channel, replies, conv.turn),
            now=ctx.now,
        )
        return replies

    async def _route(
        self,
        ctx: FlowContext,
        conv: Conversation,
        incoming: Incoming,
        *,
        original_length: int | None = None,
    ) -> list[Reply]:
        text = incoming.text or ""
        folded = fold(text)
        if conv.step == HELD:
            return await self._held(ctx, conv, incoming)
        expired = conv.expires_at < ctx.now
        if expired:
            # Nothing collected outlives the conversation: cleared now, even at the menu.
            conv.data = {}
        if conv.step == TIMED_OUT or (expired and conv.flow != MENU):
            prefix = [
                Reply(
                    ctx.t("La conversación anterior se cerró por inactividad. Empecemos de nuevo.")
                )
            ]
            return prefix + await self._open(ctx, conv, MENU)
        if incoming.media is not None:
            if text.strip() and incoming.option_key is None:
                # A photo or file with a caption: the caption is what the citizen asks.
                note = Reply(caption_note(ctx.tr))
                return [note, *await self._route(ctx, conv, replace(incoming, media=None))]
            return [Reply(media_reply(ctx.tr, incoming.media)), *self._repeat(ctx, conv)]
        if len(text) > MAX_TEXT_CHARS and incoming.option_key is None:
            # Kept up to the limit, never refused whole: the citizen is told what was kept
            # (by the step when it keeps less, else here).
            kept = keep_up_to(text, MAX_TEXT_CHARS)
            shorter = replace(incoming, text=kept.text)
            replies = await self._route(ctx, conv, shorter, original_length=len(text))
            if ctx.told_kept:
                return replies
            told = kept_note(ctx, len(text), MAX_TEXT_CHARS, kept.ending)
            return [Reply(told), *replies]
        if incoming.option_key is None and not text.strip():
            note = Reply(ctx.t("No recibí ningún texto. Escriba su respuesta o elija una opción."))
            return [note, *self._repeat(ctx, conv)]
        if incoming.option_key is None:
            # «¡Cancelar!», «Menú.» and «hola 👋» are the words themselves: punctuation and
            # emojis around a whole-message word do not hide it (commands keep their form).
            command = folded.split("@")[0] if folded.startswith("/") else name_key(text)
            if command in CANCEL_WORDS:
                note = Reply(
                    ctx.t("Listo, dejamos eso. Nada de lo que no confirmó quedó guardado.")
                )
                return [note, *await self._open(ctx, conv, MENU)]
            if command in MENU_WORDS:
                if self._has_answers(conv):
                    return self._ask_before_leaving(ctx, conv)
                return await self._open(ctx, conv, MENU)
            name, _, _ = command.partition(" ")
            target = self.commands.get(name)
            if target is not None:
                args = text.strip().partition(" ")[2].strip()
                return await self._open(ctx, conv, target, Opening(args=args))
            if command in START_WORDS:
                target = self.commands.get("/start", MENU)
                return await self._open(ctx, conv, target)
        answer = self._answer(conv, incoming)
        if answer is not None and answer.option is not None:
            if answer.option == STAY:
                conv.options = held_options(conv.data)
                conv.data = without_held_options(conv.data)
                return self._repeat(ctx, conv)
            if answer.option.startswith(GO):
                # «go:<flow>» options open a flow from any step (the menu after «menú» in a
                # flow with answers, a question asked while the flow expected something else).
                return await self._open(ctx, conv, answer.option.removeprefix(GO))
        if answer is not None and original_length is not None:
            answer = replace(answer, original_length=original_length)
        if answer is None:
            note = Reply(ctx.t("Ese botón es de un mensaje anterior. Sigamos desde aquí:"))
            return [note, *self._repeat(ctx, conv)]
        flow = self.flows.get(conv.flow)
        handler = None if flow is None else flow.steps().get(conv.step)
        if flow is None or handler is None:
            log.error("no step %r in flow %r: the user is shown the menu", conv.step, conv.flow)
            note = Reply(
                ctx.t(
                    "Disculpe, no pude seguir con lo que estábamos haciendo. Empecemos de nuevo "
                    "desde el menú."
                )
            )
            return [note, *await self._open(ctx, conv, MENU)]
        try:
            state = load_state(flow.state_type, conv.data)
        except UnreadableState as error:
            # Field names only: the values are what the citizen typed.
            log.error(
                "saved state of flow %r at step %r does not fit %s (fields: %s)",
                conv.flow,
                conv.step,
                error.state_type.__name__,
                ", ".join(error.fields),
            )
            note = Reply(
                ctx.t(
                    "Disculpe, no pude recuperar lo que me había contado. Empecemos de nuevo "
                    "desde el menú."
                )
            )
            return [note, *await self._open(ctx, conv, MENU)]
        return await self._run(ctx, conv, handler(ctx, state, answer))

    async def _held(self, ctx: FlowContext, conv: Conversation, incoming: Incoming) -> list[Reply]:
        """A conversation handed to a person: every message goes to the inbox, the bot is quiet.

        «menú» or «cancelar» takes the citizen back to the bot (the staff member sees it).
        """
        text = incoming.text or ""
        if incoming.option_key is None and name_key(text) in MENU_WORDS | CANCEL_WORDS:
            await handoff.leave_by_citizen(ctx.session, ctx.contact, ctx.now)
            note = Reply(
                ctx.t(
                    "Volvió al asistente automático. Si necesita a una persona otra vez, escriba "
                    "«hablar con una persona»."
                )
            )
            return [note, *await self._open(ctx, conv, MENU)]
        if incoming.media is not None:
            text = f"[{incoming.media}] {text}".strip()
        elif incoming.option_key is not None:
            text = next(
                (str(o["label"]) for o in conv.options or [] if o["key"] == incoming.option_key),
                incoming.option_key,
            )
        replies = await handoff_replies(ctx, text[:MAX_TEXT_CHARS])
        if replies is None:  # staff ended it meanwhile: the bot answers again
            return await self._route_released(ctx, conv, incoming)
        return replies

    async def _route_released(
        self, ctx: FlowContext, conv: Conversation, incoming: Incoming
    ) -> list[Reply]:
        conv.flow, conv.step, conv.data, conv.options = MENU, "choosing", {}, []
        return await self._route(ctx, conv, incoming)

    def _answer(self, conv: Conversation, incoming: Incoming) -> Answer | None:
        offered = _offered(conv)
        if incoming.option_key is not None:
            if incoming.turn is not None and incoming.turn != conv.turn:
                return None
            match = next((o for o in offered if o.key == incoming.option_key), None)
            return None if match is None else Answer(match.label, match.key)
        text = incoming.text.strip()
        # isdecimal, not isdigit: «¹» is a digit that int() refuses.
        if offered and text.isdecimal() and 1 <= int(text) <= len(offered):
            chosen = offered[int(text) - 1]
            return Answer(chosen.label, chosen.key)
        folded = fold(text)
        for option in offered:
            if folded and (folded == fold(option.label) or folded == fold(option.short or "")):
                return Answer(option.label, option.key)
        said = read_yes_no(text) if offered and len(text.split()) <= YES_NO_MAX_WORDS else None
        if said is not None:
            same = [o for o in offered if read_yes_no(o.label) is said]
            if len(same) == 1:
                return Answer(same[0].label, same[0].key)
        return Answer(text)

    def _has_answers(self, conv: Conversation) -> bool:
        """Whether the citizen is in a flow that collects several answers and has given some."""
        flow = self.flows.get(conv.flow)
        if flow is None or not getattr(flow, "asks_before_leaving", False):
            return False
        try:
            state = load_state(flow.state_type, conv.data)
        except UnreadableState:
            return False
        return bool(state != flow.state_type())

    def _ask_before_leaving(self, ctx: FlowContext, conv: Conversation) -> list[Reply]:
        """«menú» with answers typed: asks before throwing them away; the flow stays as it was."""
        options = (
            Option(GO + MENU, ctx.t("Sí, ir al menú y borrarlas")),
            Option(STAY, ctx.t("No, seguir con mis respuestas")),
        )
        text = ctx.t(
            "Tiene respuestas que aún no envió. Si va al menú, se borrarán. ¿Quiere ir al menú?"
        )
        conv.data = hold_options(conv.data, conv.options or [])
        conv.options = [{"key": o.key, "label": o.label} for o in options]
        return [Reply(text, options)]

    def _flow(self, name: str) -> Flow:
        return self.flows.get(name) or self.flows[MENU]

    async def _open(
        self, ctx: FlowContext, conv: Conversation, name: str, opening: Opening | None = None
    ) -> list[Reply]:
        """Starts the flow `name` (the menu when unknown) and saves where it left the user."""
        flow = self._flow(name)
        return await self._run(ctx, conv, flow.start(ctx, opening or Opening()), started=flow)

    async def _run(
        self,
        ctx: FlowContext,
        conv: Conversation,
        pending: Awaitable[Outcome],
        *,
        started: Flow | None = None,
    ) -> list[Reply]:
        """Runs an outcome (and the flows it switches to), then saves the resulting state.

        `started` is the flow whose `start` produced `pending` (None: a step of `conv.flow`).
        """
        replies: list[Reply] = []
        current = conv.flow
        try:
            outcome: Outcome = await pending
        except DomainError as error:
            replies.append(Reply(ctx.t(error.template, **error.params)))
            return replies + self._repeat(ctx, conv)
        if started is not None and outcome.step is not None and outcome.switch_to is None:
            current = started.name
        question: str | None = None  # what `_repeat` shows again, when not the last reply
        for _ in range(MAX_STEPS_PER_MESSAGE):
            replies.extend(outcome.replies)
            if outcome.switch_to is not None:
                flow = self._flow(outcome.switch_to)
                current = flow.name
                outcome = await flow.start(ctx, Opening(args=outcome.switch_args))
                continue
            if outcome.step is None:
                if current != MENU:
                    menu = await self.flows[MENU].start(ctx, Opening(after_flow=True))
                    replies = _attach_options(replies, menu)
                    # The flow's last reply (a payment status, the citizen's data…) is not
                    # kept: the menu's own question is what a repeat shows.
                    question = menu.replies[-1].text if menu.replies else None
                    current, step, state = MENU, menu.step or "choosing", menu.state
                else:
                    current, step, state = MENU, "choosing", None
            else:
                step, state = outcome.step, outcome.state
            break
        else:
            raise RuntimeError("flows switched too many times for one message")
        last = replies[-1] if replies else Reply("")
        saved = dump_state(self._flow(current).state_type, state)
        conv.flow, conv.step = current, step
        conv.options = [_stored_option(o) for o in last.options]
        conv.data = envelope(saved, last.text if question is None else question)
        return replies

    def _repeat(self, ctx: FlowContext, conv: Conversation) -> list[Reply]:
        """Shows again the last question with its options, so the user can go on."""
        options = tuple(_offered(conv))
        text = last_question(conv.data) or ctx.t("¿En qué le puedo ayudar?")
        return [Reply(text, options)]

    @metrics.recovery
    async def _recover(self, incoming: Incoming, recorder: TurnRecorder | None = None) -> Delivery:
        """After an unexpected error: resets the conversation to the menu and apologises."""
        tr = Translator(normalise_locale(incoming.locale))
        text = tr.t(
            "Disculpe, tuvimos un problema al procesar su mensaje. Volvamos al menú; "
            "si necesita ayuda inmediata llame al {phone}.",
            phone=self.services.settings.call_centre,
        )
        try:
            async with self.services.session_factory() as session, session.begin():
                if recorder is not None and not await recorder.admit(session):
                    return Delivery([], 0)
                conv = await _conversation(session, incoming, self.services.clock())
                conv.flow, conv.step, conv.data, conv.options = MENU, "choosing", {}, []
                conv.turn += 1
                turn = conv.turn
                replies = [Reply(text + "\n" + tr.t("Escriba «menú» para ver las opciones."))]
                if recorder is not None:
                    await recorder.record(session, Delivery(replies, turn, incoming.locale))
        except Exception:
            log.exception("could not reset the conversation after a failure")
            # Nothing changed: the apology must not promise a fresh start at the menu.
            text = tr.t(
                "Disculpe, tuvimos un problema y no pude procesar su mensaje. Escríbalo de nuevo "
                "en unos minutos; si necesita ayuda inmediata llame al {phone}.",
                phone=self.services.settings.call_centre,
            )
            return Delivery([Reply(text)], 0)
        return Delivery(replies, turn)


def _stored_option(option: Option) -> dict[str, str]:
    stored = {"key": option.key, "label": option.label}
    if option.short:
        stored["short"] = option.short
    return stored


def _offered(conv: Conversation) -> list[Option]:
    """The options the conversation's last reply offered, as saved."""
    return [
        Option(str(o["key"]), str(o["label"]), str(o["short"]) if o.get("short") else None)
        for o in conv.options or []
    ]


def _key_of(incoming: Incoming) -> tuple[str, str, str]:
    return (incoming.channel, incoming.address, incoming.message_key or "")


def _attach_options(replies: list[Reply], menu: Outcome) -> list[Reply]:
    """Puts the menu's options on the flow's last reply instead of sending one more message."""
    options = menu.replies[-1].options if menu.replies else ()
    if replies and not replies[-1].options:
        return [*replies[:-1], replace(replies[-1], options=options)]
    return replies + menu.replies


async def _conversation_and_contact(
    session: AsyncSession, incoming: Incoming, now: Any
) -> tuple[Conversation, Contact]:
    """Both rows of the sender in one query (the conversation locked); creates what is missing."""
    params = {"channel": incoming.channel, "address": incoming.address}
    row = (await session.execute(_CONVERSATION_AND_CONTACT, params)).first()
    if row is None:
        await _create_missing(session, incoming, now)
        row = (await session.execute(_CONVERSATION_AND_CONTACT, params)).first()
        if row is None:
            raise RuntimeError("the contact or conversation row vanished while being created")
    return row[0], row[1]


async def _create_missing(session: AsyncSession, incoming: Incoming, now: Any) -> None:
    """Inserts the contact and the conversation unless they exist; a concurrent insert wins."""
    where = ["channel", "address"]
    key = {"channel": incoming.channel, "address": incoming.address}
    contact = {"locale": normalise_locale(incoming.locale), "created_at": now, "last_seen_at": now}
    await insert_ignore(session, Contact, {**key, **contact}, where)
    conversation = {
        "flow": MENU,
        "step": "choosing",
        "data": {},
        "options": [],
        "turn": 0,
        "updated_at": now,
        "expires_at": now,
    }
    await insert_ignore(session, Conversation, {**key, **conversation}, where)


async def _conversation(session: AsyncSession, incoming: Incoming, now: Any) -> Conversation:
    query = (
        select(Conversation)
        .where(Conversation.channel == incoming.channel, Conversation.address == incoming.address)
        .with_for_update()
    )
    conv = await session.scalar(query)
    if conv is None:
        conv = Conversation(
            channel=incoming.channel,
            address=incoming.address,
            flow=MENU,
            step="choosing",
            data={},
            options=[],
            turn=0,
            updated_at=now,
            expires_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(conv)
        except IntegrityError:
            conv = await session.scalar(query)
            assert conv is not None
    return conv
