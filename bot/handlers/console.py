"""The local console chat: the same flows as Telegram, options shown as numbers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.domain.text import clean_input
from bot.flows.base import Incoming, Reply
from bot.flows.engine import FlowEngine
from bot.i18n import translator
from bot.storage.db import StorageUnavailable

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


async def run_console(
    engine: FlowEngine,
    read: ReadLine = stdin_line,
    write: Write = print,
    address: str = "local",
    locale: str | None = None,
) -> None:
    """Chats on the terminal until end of input or «salir»; `locale` as a Telegram language code."""
    tr = translator(locale)
    write(
        tr.t(
            "MIES Conecta — chat local. Escriba «hola» para empezar, «menú» para las opciones y "
            "«salir» para terminar."
        )
    )
    while True:
        line = await read()
        if line is None or line.strip().lower() in EXIT_WORDS:
            write(tr.t("Hasta pronto."))
            return
        incoming = Incoming(
            channel="console", address=address, text=clean_input(line), locale=locale
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
        for reply in delivery.replies:
            write("bot> " + render(reply).replace("\n", "\n     "))
