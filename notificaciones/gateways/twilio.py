"""The Twilio adapter of the SMS gateway port: the only module that imports `twilio`.

Uses twilio's async HTTP client (`create_async`, never the blocking one). Every request goes
through `_RewritingHttpClient`, which points the API at a Twilio-compatible base URL when one is
configured (a provider with Twilio's API, or a local stub in benchmarks). Tests inject a
`twilio.http.AsyncHttpClient` subclass, so the real twilio request building and error parsing run.

Errors of a send are classified by *when* they happened. Before the request could reach Twilio
(DNS, connect, TLS, waiting for a pooled connection) nothing was sent: safe to retry. Once a
connection was handed to the request, Twilio may have accepted the message even if we never read
its answer (server disconnected, read timeout, reset, an unparsable reply, a 5xx other than 503):
the outcome is UNKNOWN and the dispatcher reconciles it instead of sending again. The default
aiohttp client reports that moment through a `TraceConfig` (`request_may_be_on_the_wire`); a
client that cannot report it is judged by the error's type alone.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import aiohttp
from twilio.base.exceptions import (
    TwilioException,
    TwilioRestException,
    TwilioServiceException,
)
from twilio.http import AsyncHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.config import Settings
from notificaciones.gateways.sms import (
    Lookup,
    LookupResult,
    ProviderMessage,
    SendOutcome,
    SendResult,
)
from notificaciones.gateways.whatsapp import Template

log = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
# Invalid 'To' number, not a mobile number (landline), message cannot be routed to a landline.
PERMANENT_CODES = frozenset({21211, 21214, 21612, 21614, 21408, 30006})
OPTED_OUT_CODES = frozenset({21610})
TRANSIENT_CODES = frozenset({20429, 20503, 30001, 30008})
# HTTP answers that say the request was refused unprocessed (RFC 9110): safe to send again.
REFUSED_STATUSES = frozenset({429, 503})
STATUS_CALLBACK_PATH = "/twilio/status"
# twilio's HTTP client logs query parameters (the recipient's phone) at INFO: keep them out.
_HTTP_LOG = logging.getLogger("notificaciones.twilio_http")
_HTTP_LOG.setLevel(logging.WARNING)


class _RewritingHttpClient(AsyncHttpClient):  # type: ignore[misc]
    """Delegates to another async client after swapping the Twilio API host for `base_url`."""

    def __init__(self, inner: AsyncHttpClient, base_url: str) -> None:
        super().__init__(_HTTP_LOG, True, None)
        self.inner = inner
        self.base_url = base_url.rstrip("/")

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (twilio's interface)
        allow_redirects: bool = False,
    ) -> Response:
        if url.startswith(TWILIO_API) and self.base_url != TWILIO_API:
            url = self.base_url + url[len(TWILIO_API) :]
        response: Response = await self.inner.request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )
        return response

    async def close(self) -> None:
        closer = getattr(self.inner, "close", None)
        if closer is not None:
            await closer()


def classify_error(status: int, code: int | None) -> SendResult:
    """Maps an HTTP status and Twilio error code to what the dispatcher must do.

    429 and 503 refuse the request unprocessed: retry. Any other 5xx (500, 502, 504…) may come
    after Twilio created the message (a proxy timing out, a crash after the insert): UNKNOWN.
    """
    if code in OPTED_OUT_CODES:
        return SendResult.OPTED_OUT
    if code in PERMANENT_CODES:
        return SendResult.PERMANENT
    if code in TRANSIENT_CODES or status in REFUSED_STATUSES:
        return SendResult.TRANSIENT
    if status >= 500:
        return SendResult.UNKNOWN
    if status in (401, 403):
        # Credentials or account trouble: nothing is wrong with the message, try again later.
        return SendResult.TRANSIENT
    return SendResult.PERMANENT


@dataclass
class _Attempt:
    """Whether the current send's request may have reached the provider (None: not reported)."""

    on_the_wire: bool | None


_ATTEMPT: contextvars.ContextVar[_Attempt | None] = contextvars.ContextVar(
    "twilio_send_attempt", default=None
)

# Errors raised only before a request is written: resolving, connecting, TLS, pool waits.
_BEFORE_WRITE_ERRORS: tuple[type[BaseException], ...] = (
    aiohttp.ClientConnectorError,  # DNS (ClientConnectorDNSError), refused, TLS, proxy
    aiohttp.ConnectionTimeoutError,  # connect timeout and waiting for a pooled connection
    socket.gaierror,
    ConnectionRefusedError,
)


def request_may_be_on_the_wire() -> None:
    """Marks the current send's request as possibly received by the provider.

    Called when a connection is handed to the request (aiohttp trace signals); a test double of
    the HTTP client calls it when it "receives" the request.
    """
    attempt = _ATTEMPT.get()
    if attempt is not None:
        attempt.on_the_wire = True


def classify_network_error(error: BaseException, *, on_the_wire: bool | None) -> SendResult:
    """TRANSIENT when the request provably never left, UNKNOWN when the provider may hold it."""
    if on_the_wire is False:
        return SendResult.TRANSIENT
    if on_the_wire is None and isinstance(error, _BEFORE_WRITE_ERRORS):
        return SendResult.TRANSIENT
    return SendResult.UNKNOWN


async def _connection_handed_over(
    _session: aiohttp.ClientSession, _context: SimpleNamespace, _params: object
) -> None:
    request_may_be_on_the_wire()


def write_tracing() -> aiohttp.TraceConfig:
    """An aiohttp trace that marks the moment a send's request may start reaching the provider.

    A new or reused connection is handed to the request just before its bytes are written; any
    error after that point may follow Twilio's acceptance (conservative: a false "maybe" costs
    one reconciliation, a false "never" costs a duplicate SMS).
    """
    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(_connection_handed_over)
    trace.on_connection_reuseconn.append(_connection_handed_over)
    trace.on_request_headers_sent.append(_connection_handed_over)
    return trace


def status_callback_url(settings: Settings) -> str | None:
    """The public URL Twilio posts delivery statuses to, if a public base URL is configured."""
    if not settings.public_base_url:
        return None
    return settings.public_base_url.rstrip("/") + STATUS_CALLBACK_PATH


class TwilioSmsGateway:
    """Sends SMS through Twilio's Messages API (messaging service or sender number)."""

    def __init__(
        self,
        settings: Settings,
        http_client: AsyncHttpClient | None = None,
        *,
        timeout_seconds: float = 15.0,
    ) -> None:
        account_sid, auth_token = settings.require_twilio()
        if http_client is None:
            from twilio.http.async_http_client import AsyncTwilioHttpClient

            http_client = AsyncTwilioHttpClient(logger=_HTTP_LOG, trace_configs=[write_tracing()])
            self._reports_writes = True
        else:
            self._reports_writes = bool(getattr(http_client, "reports_writes", False))
        self._http = _RewritingHttpClient(http_client, settings.twilio_base_url)
        self._client = Client(account_sid, auth_token, http_client=self._http)
        self._messaging_service_sid = settings.twilio_messaging_service_sid
        self._from = settings.twilio_from_number
        self._callback = status_callback_url(settings)
        self._timeout = timeout_seconds

    async def send(self, to: str, body: str, *, reference: str) -> SendOutcome:
        """Creates the message; the callback URL carries the outbox reference."""
        kwargs: dict[str, Any] = {"to": to, "body": body}
        if self._messaging_service_sid:
            kwargs["messaging_service_sid"] = self._messaging_service_sid
        else:
            kwargs["from_"] = self._from
        return await self._create(kwargs, reference)

    async def _create(self, kwargs: dict[str, Any], reference: str) -> SendOutcome:
        """Creates a message with `kwargs`, classifying whatever happens (never raises)."""
        if self._callback:
            kwargs["status_callback"] = f"{self._callback}?{urlencode({'ref': reference})}"
        attempt = _Attempt(on_the_wire=False if self._reports_writes else None)
        token = _ATTEMPT.set(attempt)
        try:
            async with asyncio.timeout(self._timeout):
                message = await self._client.messages.create_async(**kwargs)
        except (TwilioRestException, TwilioServiceException) as error:
            result = classify_error(error.status, error.code)
            log.info("Twilio rejected a message: status=%s code=%s", error.status, error.code)
            return SendOutcome(
                result, error_code=error.code, reason=f"twilio {error.status}/{error.code}"
            )
        except (TwilioException, aiohttp.ClientError, OSError, ValueError) as error:
            # TimeoutError is an OSError; ValueError covers a reply that is not JSON.
            result = classify_network_error(error, on_the_wire=attempt.on_the_wire)
            name = "timeout" if isinstance(error, TimeoutError) else type(error).__name__
            prefix = "outcome unknown" if result is SendResult.UNKNOWN else "not sent"
            log.info("Twilio send interrupted (%s): %s", prefix, name)
            return SendOutcome(result, reason=f"{prefix}: {name}")
        finally:
            _ATTEMPT.reset(token)
        return SendOutcome(
            SendResult.ACCEPTED, provider_sid=str(message.sid), provider_status=message.status
        )

    async def fetch(self, sid: str) -> ProviderMessage | None:
        """Fetches a message's status by SID; None when Twilio cannot be asked right now."""
        try:
            async with asyncio.timeout(self._timeout):
                message = await self._client.messages(sid).fetch_async()
        except (TwilioException, aiohttp.ClientError, OSError, ValueError):
            return None
        return ProviderMessage(str(message.sid), str(message.status), message.error_code)

    async def find_sent(self, to: str, body: str, since: datetime) -> Lookup:
        """Looks for `body` sent to `to` since `since`; UNAVAILABLE if Twilio cannot answer.

        Two listings of the Messages API: filtered by To and DateSent (messages already sent),
        then the latest page to that number (messages accepted but still queued or scheduled
        have no sent date yet). NOT_FOUND only when both answered and neither holds it.
        """
        horizon = since - timedelta(minutes=5)
        try:
            async with asyncio.timeout(self._timeout):
                sent = await self._client.messages.list_async(
                    to=to, date_sent_after=horizon.astimezone(UTC), limit=100
                )
                latest = await self._client.messages.list_async(to=to, limit=20)
        except (TwilioException, aiohttp.ClientError, OSError, ValueError):
            return Lookup(LookupResult.UNAVAILABLE)
        for message in [*sent, *latest]:
            created = message.date_created
            if message.body == body and (created is None or created >= horizon):
                return Lookup(
                    LookupResult.FOUND,
                    ProviderMessage(str(message.sid), str(message.status), message.error_code),
                )
        return Lookup(LookupResult.NOT_FOUND)

    async def close(self) -> None:
        """Closes the HTTP session."""
        await self._http.close()


class TwilioWhatsAppGateway:
    """Sends WhatsApp messages through the same Messages API (`whatsapp:` on both ends).

    A template is sent by its Content SID with `ContentVariables` (JSON), without a body.
    Status callbacks come back to the same `/twilio/status` path as SMS.
    """

    def __init__(
        self,
        settings: Settings,
        http_client: AsyncHttpClient | None = None,
        *,
        timeout_seconds: float = 15.0,
    ) -> None:
        if settings.whatsapp_sender is None:
            raise ValueError("TWILIO_WHATSAPP_FROM is not set")
        self._twilio = TwilioSmsGateway(settings, http_client, timeout_seconds=timeout_seconds)
        self._from = settings.whatsapp_sender

    async def send(
        self, to: str, body: str, *, reference: str, template: Template | None = None
    ) -> SendOutcome:
        """Sends free-form `body`, or `template` (outside the 24-hour window)."""
        kwargs: dict[str, Any] = {"to": f"whatsapp:{to}", "from_": self._from}
        if template is None:
            kwargs["body"] = body
        else:
            kwargs["content_sid"] = template.content_sid
            kwargs["content_variables"] = json.dumps(template.variables, ensure_ascii=False)
        return await self._twilio._create(kwargs, reference)

    async def close(self) -> None:
        """Closes the HTTP session."""
        await self._twilio.close()


def valid_twilio_signature(
    auth_token: str, url: str, params: dict[str, str], signature: str
) -> bool:
    """True when `signature` is Twilio's HMAC of `url` and the POSTed `params`."""
    return bool(RequestValidator(auth_token).validate(url, params, signature))
