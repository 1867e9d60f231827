"""The web ASGI app (Starlette, served by uvicorn): Twilio status callbacks, inbound SMS and
WhatsApp messages (one path, `/twilio/inbound`: a WhatsApp sender is `whatsapp:+593…`), and the
staff panel, mounted at /panel (`bot.handlers.panel`).

An inbound message is answered with empty TwiML at once; its reply is an outbox row (with its
price) that a background task hands to the dispatcher right after the response
(`ReplySender.send_now`), so every answer is counted, retried and reported like any SMS.
Refused, and recorded with the reason (never the text): a sender outside Ecuador, a sender that
is not a phone number, WhatsApp while it is not configured.

Every Twilio request must carry a valid `X-Twilio-Signature` computed over the public URL Twilio
called (rebuilt from PUBLIC_BASE_URL, since behind a proxy the app sees another host): 403
otherwise. A signature has no timestamp, so a genuine request can be replayed: an inbound
MessageSid already acted on is answered 200 with empty TwiML and nothing else, and status
callbacks only move a message's status forward. The Telegram webhook is mounted here too: pass
its routes as `extra_routes` (the Telegram adapter owns them), e.g.
`build_app(services, extra_routes=[Route("/telegram", …)])`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.config import Settings
from bot.domain.errors import InvalidPhone
from bot.domain.identity import parse_phone
from bot.flows.engine import FlowEngine
from bot.flows.registry import build_flows
from bot.handlers.operations import operations_routes
from bot.handlers.panel import ExtraPages, panel_routes
from bot.handlers.sms.conversation import InboundMessage, PhoneConversations
from bot.handlers.sms.inbound import apply_status_callback, first_delivery
from bot.services.container import Services
from bot.storage.db import StorageUnavailable, is_unavailable
from notificaciones.gateways.twilio import STATUS_CALLBACK_PATH, valid_twilio_signature

log = logging.getLogger(__name__)

INBOUND_PATH = "/twilio/inbound"
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
ECUADOR_PREFIX = "+593"
WHATSAPP_PREFIX = "whatsapp:"
# Twilio's MediaContentType0 of an MMS/WhatsApp attachment, as the flows name media.
_MEDIA_KINDS = (("image/", "photo"), ("audio/", "voice"), ("video/", "video"))


class ReplySender(Protocol):
    """Sends queued outbox rows now (the dispatcher); the webhook calls it after answering."""

    async def send_now(self, ids: list[int]) -> None:
        """Claims and sends these rows if they are still pending."""
        ...


def media_kind(form: dict[str, str]) -> str | None:
    """The kind of media an inbound message carries (None: text only)."""
    if form.get("Latitude") and form.get("Longitude"):
        return "location"
    count = form.get("NumMedia", "0")
    if not (count.isascii() and count.isdigit() and int(count) > 0):
        return None
    content_type = form.get("MediaContentType0", "").lower()
    return next(
        (kind for prefix, kind in _MEDIA_KINDS if content_type.startswith(prefix)), "document"
    )


def public_url(settings: Settings, request: Request) -> str:
    """The URL Twilio signed: the configured public base URL plus the path and query."""
    if not settings.public_base_url:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return settings.public_base_url.rstrip("/") + request.url.path + query


async def _signed_form(settings: Settings, request: Request) -> dict[str, str] | None:
    """The POSTed form if the Twilio signature is valid, else None."""
    if settings.twilio_auth_token is None:
        return None
    body = (await request.body()).decode("utf-8", errors="replace")
    form = dict(parse_qsl(body, keep_blank_values=True))
    signature = request.headers.get("X-Twilio-Signature", "")
    token = settings.twilio_auth_token.get_secret_value()
    if not signature or not valid_twilio_signature(
        token, public_url(settings, request), form, signature
    ):
        return None
    return form


def build_app(
    services: Services,
    extra_routes: Sequence[BaseRoute] = (),
    *,
    report_routes: ExtraPages | None = None,
    replies: ReplySender | None = None,
    engine: FlowEngine | None = None,
) -> Starlette:
    """Builds the web app on the given services: webhooks and the staff panel (/panel).

    `report_routes` builds the panel's report pages (mounted at /panel/informes). `replies` sends
    a turn's answer right after the response (without it, the dispatcher loop of the `scheduler`
    process sends it on its next pass).
    """
    settings = services.settings
    conversations = PhoneConversations(services, engine or FlowEngine(services, build_flows()))

    async def status_callback(request: Request) -> Response:
        form = await _signed_form(settings, request)
        if form is None:
            return PlainTextResponse("forbidden", status_code=403)
        async with services.session_factory() as session, session.begin():
            await apply_status_callback(
                session,
                sid=form.get("MessageSid", ""),
                status=form.get("MessageStatus", form.get("SmsStatus", "")),
                error_code=form.get("ErrorCode") or None,
                reference=request.query_params.get("ref"),
                now=services.clock(),
            )
        return Response(status_code=204)

    async def refuse(message_sid: str, reason: str) -> Response:
        log.info("Inbound message refused: %s", reason)
        if message_sid:
            async with services.session_factory() as session, session.begin():
                await first_delivery(
                    session, message_sid[:64], now=services.clock(), outcome=reason
                )
        return Response(TWIML_EMPTY, media_type="application/xml")

    async def inbound(request: Request) -> Response:
        form = await _signed_form(settings, request)
        if form is None:
            return PlainTextResponse("forbidden", status_code=403)
        message_sid = form.get("MessageSid") or form.get("SmsSid") or ""
        sender = form.get("From", "")
        channel = "sms"
        if sender.lower().startswith(WHATSAPP_PREFIX):
            if not settings.uses_whatsapp:
                return await refuse(message_sid, "refused_whatsapp_off")
            channel, sender = "whatsapp", sender[len(WHATSAPP_PREFIX) :]
        try:
            phone = parse_phone(sender).e164
        except InvalidPhone:
            return await refuse(message_sid, "refused_sender")
        if not phone.startswith(ECUADOR_PREFIX):
            return await refuse(message_sid, "refused_foreign")
        message = InboundMessage(
            channel=channel,
            phone=phone,
            body=form.get("Body", ""),
            message_sid=message_sid,
            media=media_kind(form),
        )
        try:
            handled = await conversations.handle(message)
        except Exception as error:
            if not (isinstance(error, StorageUnavailable) or is_unavailable(error)):
                raise
            # Nothing was saved: Twilio logs the failure and the message can be handled again.
            log.warning("Inbound %s message not handled: the database is unavailable", channel)
            return PlainTextResponse("unavailable", status_code=503)
        log.info("Inbound %s message handled: %s", channel, handled.outcome)
        task = None
        if replies is not None and handled.outbox_ids:
            task = BackgroundTask(replies.send_now, list(handled.outbox_ids))
        return Response(TWIML_EMPTY, media_type="application/xml", background=task)

    routes: list[BaseRoute] = [
        Route(STATUS_CALLBACK_PATH, status_callback, methods=["POST"]),
        Route(INBOUND_PATH, inbound, methods=["POST"]),
        *operations_routes(services),  # /healthz, /readyz, /metrics
        *panel_routes(services, report_routes=report_routes),
        *extra_routes,
    ]
    return Starlette(routes=routes)
