"""Builds the python-telegram-bot `Application` in one place and runs it."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.domain.text import clean_input
from bot.flows.base import Incoming, Reply
from bot.flows.engine import Delivery, FlowEngine
from bot.flows.registry import build_flows
from bot.flows.turn_replies import coalesce
from bot.handlers.outage import StorageOutage
from bot.handlers.telegram.aiohttp_request import AiohttpRequest
from bot.handlers.telegram.ordering import PerChatUpdateProcessor
from bot.handlers.telegram.replies import ChatReplySender
from bot.i18n import translator
from bot.log_privacy import cap_library_logs
from bot.services.container import Services
from bot.storage.db import StorageUnavailable
from notificaciones.gateways.telegram import callback_data

log = logging.getLogger(__name__)
ENGINE_KEY = "flow_engine"
OUTAGE_KEY = "storage_outage"
REPLIES_KEY = "reply_sender"
# A citizen may paste a link; no message of the bot ever unfolds one into a preview.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
MEDIA_KINDS = (
    "photo",
    "voice",
    "audio",
    "video",
    "video_note",
    "sticker",
    "document",
    "location",
    "contact",
    "animation",
    "poll",
    "venue",
    "dice",
)


def keyboard(reply: Reply, turn: int) -> InlineKeyboardMarkup | None:
    """Renders options as one inline button per row; callback data carries the turn."""
    if not reply.options:
        return None
    rows = [
        [InlineKeyboardButton(o.label[:64], callback_data=callback_data(turn, o.key))]
        for o in reply.options
    ]
    return InlineKeyboardMarkup(rows)


def parse_callback(data: str | None) -> tuple[int | None, str]:
    """Splits callback data 'turn|key'; malformed data yields (None, raw)."""
    raw = data or ""
    turn, sep, key = raw.partition("|")
    if not sep or not (turn.isascii() and turn.isdigit()):
        return None, raw
    return int(turn), key


def _engine(context: ContextTypes.DEFAULT_TYPE) -> FlowEngine:
    engine = context.bot_data[ENGINE_KEY]
    assert isinstance(engine, FlowEngine)
    return engine


def reply_sender_of(application: Application) -> ChatReplySender:  # type: ignore[type-arg]
    """The application's sender of queued conversation replies (created by `build_application`)."""
    sender = application.bot_data[REPLIES_KEY]
    assert isinstance(sender, ChatReplySender)
    return sender


def outage_of(application: Application) -> StorageOutage:  # type: ignore[type-arg]
    """The application's record of a database outage (created by `build_application`)."""
    outage = application.bot_data[OUTAGE_KEY]
    assert isinstance(outage, StorageOutage)
    return outage


def incoming_of(update: Update) -> Incoming | None:
    """What the engine receives of an update: a private message or a button (None: neither).

    Its `message_key` is the update_id, Telegram's own number for it: the turn runs once.
    """
    chat = update.effective_chat
    user = update.effective_user
    locale = user.language_code if user else None
    key, sequence = str(update.update_id), update.update_id
    query = update.callback_query
    if query is not None:
        if chat is None or chat.type != chat.PRIVATE:
            return None
        turn, option = parse_callback(query.data)
        return Incoming(
            channel="telegram",
            address=str(chat.id),
            option_key=clean_input(option),
            turn=turn if turn is not None else -1,
            locale=locale,
            message_key=key,
            sequence=sequence,
        )
    message = update.effective_message
    if message is None or chat is None or chat.type != chat.PRIVATE or update.edited_message:
        return None
    media = next((kind for kind in MEDIA_KINDS if getattr(message, kind, None)), None)
    # A photo or file may carry a caption: the engine answers it as text, after a short note.
    text = clean_input(message.text or message.caption or "")
    return Incoming(
        channel="telegram",
        address=str(chat.id),
        text=text,
        media=None if message.text is not None else (media or "other"),
        locale=locale,
        message_key=key,
        sequence=sequence,
    )


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any message: text to the flow engine; other kinds are named as media."""
    incoming = incoming_of(update)
    chat = update.effective_chat
    if incoming is None or chat is None:
        return
    await _deliver(update, context, chat.id, incoming)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A pressed inline button: acknowledged at once, then handled as the option it names."""
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None:
        return
    try:
        await query.answer()
    except TelegramError:  # a button Telegram delivers again may be too old to acknowledge
        log.info("could not acknowledge a button press")
    incoming = incoming_of(update)
    if incoming is None:
        return  # buttons are only ever sent in private chats; a forged one gets nothing
    await _deliver(update, context, chat.id, incoming)


async def _deliver(
    update: Update, context: ContextTypes.DEFAULT_TYPE, chat_id: int, incoming: Incoming
) -> None:
    """Runs the engine and sends its replies; while the database is down, keeps the update.

    A keyed turn's replies are outbox rows written with the turn: they are sent from there (and
    a redelivered update sends only what is still unsent).
    """
    delivery = await _process(update, context, chat_id, incoming)
    if delivery is None:
        return
    if delivery.queued:
        await _engine(context).checkpoint("after_commit")
        await reply_sender_of(context.application).send_pending(chat_id)
        return
    for reply in coalesce(delivery.replies):
        await send(context, chat_id, reply.text, keyboard(reply, delivery.turn))


async def _process(
    update: Update, context: ContextTypes.DEFAULT_TYPE, chat_id: int, incoming: Incoming
) -> Delivery | None:
    """The engine's delivery; None when the update stays unprocessed (the database is down).

    Polling retries under the chat's lock (its later messages wait, in order) until the
    database answers or the bot stops; webhook mode leaves the update for Telegram to resend.
    """
    outage = outage_of(context.application)
    delays = outage.delays()
    while True:
        try:
            delivery = await _engine(context).handle(incoming, retry_later=True)
        except StorageUnavailable:
            log.warning("database unavailable: update %s not processed yet", update.update_id)
            if outage.first_notice(chat_id):
                await _apologise_for_outage(context, chat_id, incoming.locale)
            if outage.redelivered or not await outage.pause(next(delays)):
                outage.leave_unprocessed(update.update_id)
                return None
            continue
        outage.recovered()
        return delivery


async def _apologise_for_outage(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, locale: str | None
) -> None:
    """Tells the chat its message is kept; nothing in its conversation changed."""
    tr = translator(locale)
    text = tr.t(
        "Disculpe, en este momento tenemos una falla técnica y no puedo atender su mensaje. "
        "No se perdió: le responderé apenas se restablezca el servicio, sin que tenga que "
        "escribirlo de nuevo."
    )
    try:
        await send(context, chat_id, text)
    except TelegramError:
        log.warning("could not send the outage notice")


async def send(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Sends one message; links in it (a citizen's words may hold one) never get a preview."""
    await context.bot.send_message(
        chat_id, text, reply_markup=markup, link_preview_options=NO_PREVIEW
    )


async def on_group_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command in a group: points to the private chat, so no personal data shows to a group."""
    chat = update.effective_chat
    if chat is None:
        return
    user = update.effective_user
    tr = translator(user.language_code if user else None)
    await send(
        context,
        chat.id,
        tr.t(
            "Para cuidar sus datos solo atiendo en chat privado. Escríbame aquí: "
            "https://t.me/{username}",
            username=context.bot.username,
        ),
    )


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Logs the failure without personal data and still tells the user something."""
    log.error("telegram handler failed: %s", type(context.error).__name__, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            user = update.effective_user
            tr = translator(user.language_code if user else None)
            await send(
                context,
                update.effective_chat.id,
                tr.t("Disculpe, tuvimos un problema. Escriba «menú» para volver a empezar."),
            )
        except Exception:
            log.warning("could not send the apology after a failure")


def build_application(
    services: Services,
    *,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    flood_limit: bool = True,
) -> Application:  # type: ignore[type-arg]
    """Builds the Application: per-chat ordered updates, rate limiter, handlers, error handler.

    `flood_limit=False` keeps the limiter but lifts Telegram's ~30 messages/s cap; only the load
    benchmark does that, to measure the software itself against a local fake Bot API.
    """
    settings = services.settings
    limits = {} if flood_limit else {"overall_max_rate": 0, "group_max_rate": 0}
    builder = (
        ApplicationBuilder()
        .token(settings.require_telegram_token())
        .base_url(settings.telegram_base_url)
        .concurrent_updates(PerChatUpdateProcessor(settings.max_concurrent_updates))
        .rate_limiter(AIORateLimiter(max_retries=3, **limits))
    )
    pool = max(64, settings.max_concurrent_updates + 8)
    builder = builder.request(request or AiohttpRequest(connection_pool_size=pool, read_timeout=15))
    builder = builder.get_updates_request(updates_request or AiohttpRequest(1, read_timeout=30))
    application = builder.build()
    cap_library_logs()  # PTB would log every citizen's message at DEBUG
    application.bot_data[ENGINE_KEY] = FlowEngine(services, build_flows())
    application.bot_data[OUTAGE_KEY] = StorageOutage()
    # Replicas share one database (PostgreSQL): their replies count in one Telegram budget.
    shared = flood_limit and services.engine.dialect.name == "postgresql"
    application.bot_data[REPLIES_KEY] = ChatReplySender(
        services, application.bot, shared_budget=shared
    )
    # Conversations happen only in private chats: payment status is personal data.
    private = filters.ChatType.PRIVATE
    not_edited = ~filters.UpdateType.EDITED
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(private & not_edited, on_message))
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & filters.COMMAND & not_edited, on_group_message)
    )
    application.add_error_handler(on_error)
    return application


BotRequest = BaseRequest
"""The Bot API's HTTP client type (tests pass a fake one to the runtime)."""


async def start_polling(application: Application) -> None:  # type: ignore[type-arg]
    """Starts the application and long polling for every update type."""
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)


async def stop_polling(application: Application) -> None:  # type: ignore[type-arg]
    """Stops long polling, then the application (queued work stays in the database)."""
    assert application.updater is not None
    await application.updater.stop()
    await reply_sender_of(application).aclose()  # the last replies' outcomes stored
    await application.stop()
