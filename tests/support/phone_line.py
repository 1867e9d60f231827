"""A citizen's phone against the real webhook app: signed Twilio requests in, SMS out.

Inbound messages are POSTed, signed with twilio's own `RequestValidator` over the public URL, to
the Starlette app through httpx's ASGI transport (no sockets). The app's replies go through the
real dispatcher and the real `TwilioSmsGateway` into `FakeTwilioApi`, so what a test reads is
what Twilio would have been asked to deliver.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr
from twilio.request_validator import RequestValidator

from bot.handlers.web import build_app
from bot.services.container import Services
from notificaciones.dispatcher import Dispatcher
from notificaciones.gateways.twilio import TwilioSmsGateway, TwilioWhatsAppGateway
from tests.support.twilio_fake import FakeMessage, FakeTwilioApi

TOKEN = "test-auth-token"
ACCOUNT = "AC" + "1" * 32
PUBLIC = "https://mies.example.org"
SERVICE_SID = "MG" + "2" * 32
WHATSAPP_FROM = "+14155238886"
_SIDS = itertools.count(1)


def configure_twilio(services: Services, **overrides: object) -> None:
    """Gives the services' settings Twilio credentials and the public base URL."""
    values: dict[str, object] = {
        "twilio_account_sid": ACCOUNT,
        "twilio_auth_token": SecretStr(TOKEN),
        "twilio_messaging_service_sid": SERVICE_SID,
        "public_base_url": PUBLIC,
    }
    values.update(overrides)
    services.settings = services.settings.model_copy(update=values)


@dataclass
class Answer:
    """The webhook's HTTP answer and the messages Twilio was asked to send because of it."""

    response: httpx.Response
    sent: list[FakeMessage]

    @property
    def status_code(self) -> int:
        """The HTTP status of the webhook's answer."""
        return self.response.status_code

    @property
    def text(self) -> str:
        """The bodies sent, joined by a blank line ("" when nothing was sent)."""
        return "\n\n".join(m.body for m in self.sent)


@dataclass
class PhoneLine:
    """The webhook app with a dispatcher that sends through Twilio (faked at the HTTP client)."""

    services: Services
    api: FakeTwilioApi = field(default_factory=FakeTwilioApi)

    def __post_init__(self) -> None:
        settings = self.services.settings
        whatsapp = TwilioWhatsAppGateway(settings, self.api) if settings.uses_whatsapp else None
        self.dispatcher = Dispatcher(
            self.services.session_factory,
            settings,
            TwilioSmsGateway(settings, self.api),
            whatsapp=whatsapp,
            clock=self.services.clock,
        )
        self.app = build_app(self.services, replies=self.dispatcher)

    async def post(
        self, path: str, form: dict[str, str], *, sign_url: str | None = None, signed: bool = True
    ) -> httpx.Response:
        """POSTs a form as Twilio does, signed over the public URL (or `sign_url`)."""
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signed:
            url = sign_url or PUBLIC + path
            headers["X-Twilio-Signature"] = RequestValidator(TOKEN).compute_signature(url, form)
        transport = httpx.ASGITransport(app=self.app)
        # The app sees an internal host (as behind a proxy); the signature is over the public URL.
        async with httpx.AsyncClient(
            transport=transport, base_url="http://10.0.0.5:8080"
        ) as client:
            return await client.post(path, content=urlencode(form), headers=headers)

    async def send(
        self,
        body: str,
        phone: str,
        *,
        sid: str | None = None,
        extra: dict[str, str] | None = None,
        whatsapp: bool = False,
    ) -> Answer:
        """One inbound SMS (or WhatsApp message) from `phone`; returns what it answered."""
        before = len(self.api.messages)
        sender = f"whatsapp:{phone}" if whatsapp else phone
        form = {
            "MessageSid": sid or f"SM{next(_SIDS):032d}",
            "AccountSid": ACCOUNT,
            "From": sender,
            "To": f"whatsapp:{WHATSAPP_FROM}" if whatsapp else "+15005550006",
            "Body": body,
            "NumMedia": "0",
            **(extra or {}),
        }
        response = await self.post("/twilio/inbound", form)
        return Answer(response, self.api.messages[before:])
