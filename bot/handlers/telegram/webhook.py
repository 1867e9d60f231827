"""Telegram webhook mode: a Starlette route that receives updates, and the webhook registration.

Telegram POSTs each update to `PUBLIC_BASE_URL/telegram/webhook` with the header
`X-Telegram-Bot-Api-Secret-Token` set to the secret given to `setWebhook`; a request without the
right secret gets 403 (compared in constant time). A verified update is processed inside the
request, through the Application's per-chat ordering processor: the 200 goes back only once the
conversation step is committed (with its replies in the outbox) and answered, so a crash before
that makes Telegram deliver the update again, and the update's recorded id makes that delivery
send only what is still unsent instead of running the step twice (`bot.flows.turns`); a slow
database slows Telegram down rather than filling an
in-memory queue. Conversation state lives in the database, so any number of replicas may serve.
While the database is unreachable the update is left unprocessed and Telegram gets a 503, so it
delivers the update again later (the chat hears one apology per outage, not one per message).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import Update
from telegram.ext import Application

from bot.config import MissingSetting, Settings
from bot.flows.engine import FlowEngine
from bot.handlers.telegram.application import ENGINE_KEY, incoming_of, outage_of
from bot.storage.db import is_unavailable

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
RETRY_AFTER_SECONDS = 5  # a hint; Telegram retries on its own schedule
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
MAX_BODY_BYTES = 1_000_000  # an update is a few kB; anything this big is not from Telegram
# Telegram accepts 1–256 characters from this set for secret_token.
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class InvalidSetting(MissingSetting):
    """A setting is present but Telegram would refuse it."""

    def __init__(self, setting: str, purpose: str) -> None:
        super().__init__(setting, purpose)
        self.args = (f"La configuración {setting} no es válida: {purpose}.",)


def webhook_secret(settings: Settings) -> str:
    """The secret token Telegram must echo; raises `MissingSetting` when absent or malformed."""
    if settings.telegram_webhook_secret is None:
        raise MissingSetting(
            "TELEGRAM_WEBHOOK_SECRET", "secreto que Telegram envía en cada llamada al webhook"
        )
    secret = settings.telegram_webhook_secret.get_secret_value()
    if not SECRET_PATTERN.fullmatch(secret):
        raise InvalidSetting(
            "TELEGRAM_WEBHOOK_SECRET", "use de 1 a 256 caracteres: letras, dígitos, _ o -"
        )
    return secret


def webhook_url(settings: Settings) -> str:
    """The public HTTPS URL Telegram posts to; raises `MissingSetting` naming PUBLIC_BASE_URL."""
    if not settings.public_base_url:
        raise MissingSetting("PUBLIC_BASE_URL", "URL pública HTTPS donde Telegram llama al bot")
    if not settings.public_base_url.startswith("https://"):
        raise InvalidSetting("PUBLIC_BASE_URL", "Telegram solo llama a direcciones https://")
    return settings.public_base_url.rstrip("/") + WEBHOOK_PATH


def _settings(application: Application) -> Settings:  # type: ignore[type-arg]
    engine = application.bot_data[ENGINE_KEY]
    assert isinstance(engine, FlowEngine)
    return engine.services.settings


def telegram_routes(application: Application) -> list[BaseRoute]:  # type: ignore[type-arg]
    """The webhook route for `application` (built by `build_application`, initialised)."""
    settings = _settings(application)
    secret = webhook_secret(settings).encode()
    outage = outage_of(application)
    engine = application.bot_data[ENGINE_KEY]
    assert isinstance(engine, FlowEngine)
    # Any replica may receive a chat's next update: each waits for earlier ones in flight.
    engine.order_wait = settings.turn_order_wait_ms / 1000
    engine.sequenced_channels = frozenset()  # every update in the ledger, even with no wait
    outage.redelivered = True  # a refused update comes back from Telegram: no retry in memory

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, secret):
            log.warning("Telegram webhook call with a wrong or missing secret token")
            return PlainTextResponse("forbidden", status_code=403)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return PlainTextResponse("too large", status_code=413)
        try:
            payload = json.loads(body)
            if not isinstance(payload, dict):
                raise ValueError("an update is a JSON object")
            update = Update.de_json(payload, application.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("Telegram webhook call with a body that is not an update")
            return PlainTextResponse("bad request", status_code=400)
        await _record_and_wait(engine, update)
        await application.update_processor.process_update(
            update, application.process_update(update)
        )
        if outage.was_left_unprocessed(update.update_id):
            return PlainTextResponse(
                "database unavailable",
                status_code=503,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        return Response(status_code=200)

    return [Route(WEBHOOK_PATH, receive, methods=["POST"])]


async def _record_and_wait(engine: FlowEngine, update: Update) -> None:
    """Records the update's message before any queue or lock of this process, then waits.

    Another replica may hold the chat's previous update a few milliseconds behind this one:
    once both are recorded, whichever runs first runs them in update_id order.
    """
    incoming = incoming_of(update)
    if incoming is None or engine.order_wait <= 0:
        return
    try:
        await engine.record(incoming)
    except Exception as error:
        if not is_unavailable(error):
            raise
        return  # the turn itself meets the outage and answers 503
    await asyncio.sleep(engine.order_wait)


async def register_webhook(application: Application) -> str:  # type: ignore[type-arg]
    """Tells Telegram where to post updates (setWebhook with the secret); returns the URL."""
    settings = _settings(application)
    url = webhook_url(settings)
    await application.bot.set_webhook(
        url=url,
        secret_token=webhook_secret(settings),
        allowed_updates=Update.ALL_TYPES,
    )
    log.info("Telegram webhook registered at %s", url)
    return url
