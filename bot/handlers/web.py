"""The web ASGI app (Starlette, served by uvicorn): Twilio webhooks and the staff panel.

The staff panel is mounted at /panel (`bot.handlers.panel`).

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
from html import escape
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.config import Settings
from bot.domain.errors import InvalidPhone
from bot.domain.identity import parse_phone
from bot.handlers.operations import operations_routes
from bot.handlers.panel import ExtraPages, panel_routes
from bot.handlers.sms.inbound import apply_status_callback, first_delivery, handle_inbound_sms
from bot.services.container import Services
from notificaciones.gateways.twilio import STATUS_CALLBACK_PATH, valid_twilio_signature

log = logging.getLogger(__name__)

INBOUND_PATH = "/twilio/inbound"
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def twiml_message(text: str | None) -> str:
    """TwiML answering an inbound SMS with one message (or with nothing)."""
    if not text:
        return TWIML_EMPTY
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
        f"{escape(text, quote=False)}</Message></Response>"
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
) -> Starlette:
    """Builds the web app on the given services: webhooks and the staff panel (/panel).

    `report_routes` builds the panel's report pages (mounted at /panel/informes).
    """
    settings = services.settings

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

    async def inbound(request: Request) -> Response:
        form = await _signed_form(settings, request)
        if form is None:
            return PlainTextResponse("forbidden", status_code=403)
        try:
            phone = parse_phone(form.get("From", "")).e164
        except InvalidPhone:
            return Response(TWIML_EMPTY, media_type="application/xml")
        message_sid = form.get("MessageSid") or form.get("SmsSid") or ""
        async with services.session_factory() as session, session.begin():
            if message_sid and not await first_delivery(
                session, message_sid[:64], now=services.clock()
            ):
                log.info("Inbound SMS replay ignored")
                return Response(TWIML_EMPTY, media_type="application/xml")
            reply = await handle_inbound_sms(
                session, settings, phone, form.get("Body", ""), services.clock()
            )
        log.info("Inbound SMS handled: %s", reply.keyword)
        return Response(twiml_message(reply.text), media_type="application/xml")

    routes: list[BaseRoute] = [
        Route(STATUS_CALLBACK_PATH, status_callback, methods=["POST"]),
        Route(INBOUND_PATH, inbound, methods=["POST"]),
        *operations_routes(services),  # /healthz, /readyz, /metrics
        *panel_routes(services, report_routes=report_routes),
        *extra_routes,
    ]
    return Starlette(routes=routes)
