"""The local console chat: the same flows as Telegram, options shown as numbers.

Every line typed is a turn keyed like a Telegram update (its sequence: the microsecond it was
read), so it runs once and its replies are outbox rows written with the turn; they are printed
from the outbox by the console's reply lane. Replies a crash left unprinted are printed when the
chat starts again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from bot.domain.text import clean_input
from bot.flows.base import Incoming, Reply
from bot.flows.engine import FlowEngine
from bot.flows.turn_replies import reply_of
from bot.i18n import translator
from bot.storage.db import StorageUnavailable
from notificaciones.gateways.sms import SendOutcome, SendResult
from notificaciones.outbox_states import ClaimedMessage
from notificaciones.reply_lane import ReplyLane

EXIT_WORDS = {"salir", "/salir", "exit", "quit"}
ReadLine = Callable[[], Awaitable[str | None]]
Write = Callable[[str], None]


def render(reply: Reply) -> str:
    """Renders a reply for a terminal or SMS: the text, then numbered options."""
    lines = [reply.text]
    lines.extend(f"  {i}. {option.label}" for i, option in enumerate(reply.options, start=1))
    return "\n".join(lines)


async def stdin_line() -> str | None:
    """Reads one line from standard input without blocking the event loop; None at end of input."""
    try:
        return await asyncio.to_thread(input, "tú> ")
    except EOFError:
        return None


def console_lane(engine: FlowEngine, write: Write) -> ReplyLane:
    """The console's reply lane: prints each queued reply of the chat as it is handed over."""

    async def show(message: ClaimedMessage) -> SendOutcome:
        reply, _turn = reply_of(message.body, message.buttons)
        write("bot> " + render(reply).replace("\n", "\n     "))
        return SendOutcome(SendResult.ACCEPTED, provider_status="shown")

    services = engine.services
    return ReplyLane(
        channel="console",
        send=show,
        session_factory=services.session_factory,
        clock=services.clock,
        max_attempts=services.settings.sms_max_attempts,
    )


def _sequence() -> int:
    """A console message's number in its chat: the microsecond it was read (grows across runs)."""
    return time.time_ns() // 1000


async def run_console(
    engine: FlowEngine,
    read: ReadLine = stdin_line,
    write: Write = print,
    address: str = "local",
    locale: str | None = None,
) -> None:
    """Chats on the terminal until end of input or «salir»; `locale` as a Telegram language code."""
    tr = translator(locale)
    lane = console_lane(engine, write)
    write(
        tr.t(
            "MIES Conecta — chat local. Escriba «hola» para empezar, «menú» para las opciones y "
            "«salir» para terminar."
        )
    )
    await lane.send_pending(address)  # what a crash left unprinted, first
    while True:
        line = await read()
        if line is None or line.strip().lower() in EXIT_WORDS:
            await lane.aclose()  # the last outcomes stored before the chat ends
            write(tr.t("Hasta pronto."))
            return
        sequence = _sequence()
        incoming = Incoming(
            channel="console",
            address=address,
            text=clean_input(line),
            locale=locale,
            message_key=str(sequence),
            sequence=sequence,
        )
        try:
            delivery = await engine.handle(incoming, retry_later=True)
        except StorageUnavailable:
            # Nothing was saved: the chat goes on where it was once the message is sent again.
            write(
                "bot> "
                + tr.t(
                    "No pude procesar su mensaje: la base de datos no responde. Escríbalo de "
                    "nuevo en un momento; la conversación sigue donde estaba."
                )
            )
            continue
        if delivery.queued:
            await lane.send_pending(address)
            continue
        for reply in delivery.replies:
            write("bot> " + render(reply).replace("\n", "\n     "))
