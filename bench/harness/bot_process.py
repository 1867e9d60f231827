"""The bot under test, run in its own process so its CPU time and memory can be measured alone.

`python -m bench.harness.bot_process --kind ours|echo --base-url URL --database-url URL --done-fd N`

- `ours`: the product, built by `bot.handlers.telegram.application.build_application`
  on real services and polled by its own loop (`poll_updates`, as `bot run` polls);
- `echo`: the issue's baseline, python-telegram-bot's echo example as it ships (default builder:
  PTB's httpx transport, one update at a time);
- `echo-tuned`: the same echo bot given the product's transport (`AiohttpRequest`), pool size and
  updates in flight: a stricter comparison, printed next to the baseline.

Both add one handler in a later group that writes "<update_id>\n" to the file descriptor
`--done-fd` once every handler of the update has finished (replies sent), so the harness knows
when an update is fully answered without another HTTP round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.config import Settings
from bot.handlers.telegram.aiohttp_request import AiohttpRequest

TOKEN = "123456:BENCHMARK"
DONE_GROUP = 99


def _done_handler(fd: int) -> TypeHandler[Update, ContextTypes.DEFAULT_TYPE]:
    async def done(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        os.write(fd, b"%d\n" % update.update_id)

    return TypeHandler(Update, done)


async def _echo_text(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is not None and update.message.text is not None:
        await update.message.reply_text(update.message.text)


async def _echo_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is not None and update.effective_chat is not None:
        await query.answer()
        await context.bot.send_message(update.effective_chat.id, query.data or "")


def echo_application(base_url: str) -> Application:  # type: ignore[type-arg]
    """The baseline: PTB's echo example (`examples/echobot.py`) as it ships, on the fake server."""
    application = ApplicationBuilder().token(TOKEN).base_url(base_url).build()
    application.add_handler(MessageHandler(filters.TEXT, _echo_text))
    application.add_handler(CallbackQueryHandler(_echo_button))
    return application


def tuned_echo_application(base_url: str) -> Application:  # type: ignore[type-arg]
    """The stricter baseline: PTB's echo example with the product's concurrency and transport.

    Same Bot API transport (`AiohttpRequest`, same pool size) and the same number of updates in
    flight as the product with its default settings (MAX_CONCURRENT_UPDATES).
    """
    concurrency = Settings.model_fields["max_concurrent_updates"].default
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(base_url)
        .concurrent_updates(concurrency)
        .request(AiohttpRequest(connection_pool_size=max(64, concurrency + 8), read_timeout=15))
        .get_updates_request(AiohttpRequest(1, read_timeout=30))
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, _echo_text))
    application.add_handler(CallbackQueryHandler(_echo_button))
    return application


async def _ours(base_url: str, database_url: str) -> tuple[Application, object]:  # type: ignore[type-arg]
    from bot.config import Settings
    from bot.handlers.telegram.application import build_application
    from bot.runtime.composition import build_services

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database_url,
        telegram_token=TOKEN,
        telegram_base_url=base_url,
        audit_pseudonym_key="bench-only-audit-pseudonym-key",
    )
    services = await build_services(settings)
    return build_application(services, flood_limit=False), services


async def _poll_ours(application: Application) -> None:  # type: ignore[type-arg]
    """The product's polling until SIGTERM/SIGINT (what `bot run --mode polling` does)."""
    from bot.handlers.telegram.application import poll_updates

    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    async with application:
        await application.start()
        try:
            await poll_updates(application, stop)
        finally:
            await application.stop()


def main() -> None:
    """Runs one bot until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", choices=("ours", "echo", "echo-tuned"), required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--done-fd", type=int, required=True)
    parser.add_argument("--profile", default="", help="write a pyinstrument HTML/text profile")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    services = None
    if args.kind == "echo":
        application = echo_application(args.base_url)
    elif args.kind == "echo-tuned":
        application = tuned_echo_application(args.base_url)
    else:
        application, services = loop.run_until_complete(_ours(args.base_url, args.database_url))
    application.add_handler(_done_handler(args.done_fd), group=DONE_GROUP)
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="disabled")
        profiler.start()
    try:
        if services is None:
            application.run_polling(
                allowed_updates=Update.ALL_TYPES,
                timeout=10,
                close_loop=False,
                drop_pending_updates=False,
            )
        else:
            loop.run_until_complete(_poll_ours(application))
    finally:
        if profiler is not None:
            profiler.stop()
            with open(args.profile, "w", encoding="utf-8") as out:
                out.write(profiler.output_text(unicode=True, color=False, show_all=False))
                for flat_time in ("self", "total"):
                    flat = profiler.output_text(flat=True, flat_time=flat_time)
                    out.write(f"\n== flat, {flat_time} time (top 60) ==\n")
                    out.write("\n".join(flat.splitlines()[:70]) + "\n")
        if services is not None:
            close = getattr(services, "close", None)
            if close is not None:
                loop.run_until_complete(close())
        loop.close()


if __name__ == "__main__":
    main()
