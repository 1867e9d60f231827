"""The Twilio adapter of the SMS gateway port: the only module that imports `twilio`.

Uses twilio's async HTTP client (`create_async`, never the blocking one). Every request goes
through `_RewritingHttpClient`, which points the API at a Twilio-compatible base URL when one is
configured (a provider with Twilio's API, or a local stub in benchmarks). Tests inject a
`twilio.http.AsyncHttpClient` subclass, so the real twilio request building and error parsing run.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

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

log = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
# Invalid 'To' number, not a mobile number (landline), message cannot be routed to a landline.
PERMANENT_CODES = frozenset({21211, 21214, 21612, 21614, 21408, 30006})
OPTED_OUT_CODES = frozenset({21610})
TRANSIENT_CODES = frozenset({20429, 20500, 20503, 30001, 30008})
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
    """Maps an HTTP status and Twilio error code to what the dispatcher must do."""
    if code in OPTED_OUT_CODES:
        return SendResult.OPTED_OUT
    if code in PERMANENT_CODES:
        return SendResult.PERMANENT
    if code in TRANSIENT_CODES or status == 429 or status >= 500:
        return SendResult.TRANSIENT
    if status in (401, 403):
        # Credentials or account trouble: nothing is wrong with the message, try again later.
        return SendResult.TRANSIENT
    return SendResult.PERMANENT


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

            http_client = AsyncTwilioHttpClient(logger=_HTTP_LOG)
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
        if self._callback:
            kwargs["status_callback"] = f"{self._callback}?{urlencode({'ref': reference})}"
        try:
            async with asyncio.timeout(self._timeout):
                message = await self._client.messages.create_async(**kwargs)
        except (TwilioRestException, TwilioServiceException) as error:
            result = classify_error(error.status, error.code)
            log.info("Twilio rejected a message: status=%s code=%s", error.status, error.code)
            return SendOutcome(
                result, error_code=error.code, reason=f"twilio {error.status}/{error.code}"
            )
        except TimeoutError:
            return SendOutcome(SendResult.TRANSIENT, reason="timeout")
        except (TwilioException, OSError) as error:
            return SendOutcome(SendResult.TRANSIENT, reason=f"network: {type(error).__name__}")
        return SendOutcome(
            SendResult.ACCEPTED, provider_sid=str(message.sid), provider_status=message.status
        )

    async def fetch(self, sid: str) -> ProviderMessage | None:
        """Fetches a message's status by SID; None when Twilio cannot be asked right now."""
        try:
            async with asyncio.timeout(self._timeout):
                message = await self._client.messages(sid).fetch_async()
        except (TwilioException, OSError, TimeoutError):
            return None
        return ProviderMessage(str(message.sid), str(message.status), message.error_code)

    async def find_sent(self, to: str, body: str, since: datetime) -> Lookup:
        """Lists recent messages to `to` and matches the body; UNKNOWN if Twilio cannot answer."""
        try:
            async with asyncio.timeout(self._timeout):
                messages = await self._client.messages.list_async(to=to, limit=50)
        except (TwilioException, OSError, TimeoutError):
            return Lookup(LookupResult.UNAVAILABLE)
        horizon = since - timedelta(minutes=5)
        for message in messages:
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


def valid_twilio_signature(
    auth_token: str, url: str, params: dict[str, str], signature: str
) -> bool:
    """True when `signature` is Twilio's HMAC of `url` and the POSTed `params`."""
    return bool(RequestValidator(auth_token).validate(url, params, signature))
