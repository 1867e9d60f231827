"""The Twilio adapter through the real twilio client, against a stubbed HTTP client (no sockets)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp import ClientConnectorDNSError, ClientConnectorError
from aiohttp.client_reqrep import ConnectionKey
from twilio.request_validator import RequestValidator

from bot.config import Settings
from notificaciones.gateways.sms import LookupResult, SendResult
from notificaciones.gateways.twilio import (
    TwilioSmsGateway,
    classify_network_error,
    valid_twilio_signature,
)
from tests.support.twilio_fake import FakeTwilioApi

ACCOUNT = "AC" + "1" * 32
TOKEN = "test-auth-token"
PHONE = "+593991234567"


def twilio_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": "sqlite+aiosqlite:///:memory:",
        "twilio_account_sid": ACCOUNT,
        "twilio_auth_token": TOKEN,
        "twilio_messaging_service_sid": "MG" + "2" * 32,
        "public_base_url": "https://mies.example.org",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def test_send_posts_to_body_messaging_service_and_status_callback() -> None:
    api = FakeTwilioApi()
    gateway = TwilioSmsGateway(twilio_settings(), api)

    outcome = await gateway.send(PHONE, "Brigada el jueves", reference="42")

    assert outcome.result is SendResult.ACCEPTED
    assert outcome.provider_sid == api.messages[0].sid
    request = api.requests[0]
    assert request.method == "POST"
    assert request.url == f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert request.auth == (ACCOUNT, TOKEN)
    assert request.data["To"] == PHONE
    assert request.data["Body"] == "Brigada el jueves"
    assert request.data["MessagingServiceSid"] == "MG" + "2" * 32
    assert "From" not in request.data
    callback = urlsplit(str(request.data["StatusCallback"]))
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == (
        "https://mies.example.org/twilio/status"
    )
    assert parse_qs(callback.query) == {"ref": ["42"]}


async def test_sender_number_is_used_without_a_messaging_service_and_base_url_is_rewritten() -> (
    None
):
    api = FakeTwilioApi()
    settings = twilio_settings(
        twilio_messaging_service_sid=None,
        twilio_from_number="+15005550006",
        public_base_url=None,
        twilio_base_url="http://127.0.0.1:9999/",
    )
    gateway = TwilioSmsGateway(settings, api)

    await gateway.send(PHONE, "Hola", reference="1")

    request = api.requests[0]
    assert request.url.startswith("http://127.0.0.1:9999/2010-04-01/Accounts/")
    assert request.data["From"] == "+15005550006"
    assert "MessagingServiceSid" not in request.data
    assert "StatusCallback" not in request.data


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, 21211, SendResult.PERMANENT),  # invalid 'To' number
        (400, 21614, SendResult.PERMANENT),  # not a mobile number (landline)
        (400, 21610, SendResult.OPTED_OUT),  # the recipient replied STOP
        (429, 20429, SendResult.TRANSIENT),  # too many requests
        (429, None, SendResult.TRANSIENT),
        (503, 20503, SendResult.TRANSIENT),  # refused unprocessed: safe to send again
        (500, None, SendResult.UNKNOWN),  # Twilio may have stored it before failing
        (502, None, SendResult.UNKNOWN),
        (504, None, SendResult.UNKNOWN),  # a gateway timed out waiting for Twilio's answer
    ],
)
async def test_twilio_errors_are_classified(
    status: int, code: int | None, expected: SendResult
) -> None:
    api = FakeTwilioApi()
    api.fail_next[PHONE] = [(status, code)]
    gateway = TwilioSmsGateway(twilio_settings(), api)

    outcome = await gateway.send(PHONE, "Hola", reference="1")

    assert outcome.result is expected
    assert outcome.provider_sid is None
    assert api.messages == []


async def test_a_timeout_after_twilio_got_the_request_is_an_unknown_outcome() -> None:
    api = FakeTwilioApi()
    api.timeout_for.add(PHONE)
    gateway = TwilioSmsGateway(twilio_settings(), api)

    outcome = await gateway.send(PHONE, "Hola", reference="1")

    assert outcome.result is SendResult.UNKNOWN
    assert outcome.reason == "outcome unknown: timeout"


async def test_a_connection_that_never_opened_is_safe_to_retry() -> None:
    api = FakeTwilioApi()
    api.connect_fails_for.add(PHONE)
    gateway = TwilioSmsGateway(twilio_settings(), api)

    outcome = await gateway.send(PHONE, "Hola", reference="1")

    assert outcome.result is SendResult.TRANSIENT
    assert outcome.reason == "not sent: timeout"
    assert api.requests == []


@pytest.mark.parametrize("when", ["drop_before_accept", "drop_after_accept"])
async def test_a_connection_dropped_after_the_request_was_written_is_an_unknown_outcome(
    when: str,
) -> None:
    api = FakeTwilioApi()
    getattr(api, when).add(PHONE)
    gateway = TwilioSmsGateway(twilio_settings(), api)

    outcome = await gateway.send(PHONE, "Hola", reference="1")

    assert outcome.result is SendResult.UNKNOWN
    assert outcome.reason == "outcome unknown: ServerDisconnectedError"
    assert outcome.provider_sid is None


def _connection_key() -> ConnectionKey:
    return ConnectionKey("api.twilio.com", 443, True, True, None, None, None, None)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (lambda: ClientConnectorDNSError(_connection_key(), OSError("no dns")), "transient"),
        (lambda: ClientConnectorError(_connection_key(), ConnectionRefusedError()), "transient"),
        (lambda: aiohttp.ConnectionTimeoutError(), "transient"),  # connect or pool wait
        (lambda: socket.gaierror(), "transient"),
        (lambda: aiohttp.ServerDisconnectedError(), "unknown"),
        (lambda: aiohttp.SocketTimeoutError(), "unknown"),  # read timeout
        (lambda: aiohttp.ClientPayloadError(), "unknown"),
        (lambda: aiohttp.ClientOSError(104, "reset"), "unknown"),
        (lambda: TimeoutError(), "unknown"),
    ],
)
def test_network_errors_are_classified_by_whether_the_request_may_have_left(
    error: Callable[[], BaseException], expected: str
) -> None:
    # Judged by the error's type when the HTTP client cannot report the moment of writing...
    assert classify_network_error(error(), on_the_wire=None).value == expected
    # ...and by that moment when it can (the default aiohttp client's trace reports it).
    assert classify_network_error(error(), on_the_wire=False) is SendResult.TRANSIENT
    assert classify_network_error(error(), on_the_wire=True) is SendResult.UNKNOWN


async def test_the_default_client_traces_when_a_connection_is_handed_to_the_request() -> None:
    gateway = TwilioSmsGateway(twilio_settings())
    try:
        inner = gateway._http.inner
        [trace] = inner.session.trace_configs
        assert trace.on_connection_create_end and trace.on_connection_reuseconn
    finally:
        await gateway.close()


async def test_fetch_and_find_sent_read_the_provider() -> None:
    api = FakeTwilioApi()
    gateway = TwilioSmsGateway(twilio_settings(), api)
    outcome = await gateway.send(PHONE, "Feria el lunes", reference="7")
    assert outcome.provider_sid is not None

    fetched = await gateway.fetch(outcome.provider_sid)
    found = await gateway.find_sent(PHONE, "Feria el lunes", datetime(2026, 11, 20, tzinfo=UTC))
    missing = await gateway.find_sent(PHONE, "Otro texto", datetime(2026, 11, 20, tzinfo=UTC))

    assert fetched is not None and fetched.status == "queued"
    assert found.result is LookupResult.FOUND
    assert found.message is not None and found.message.sid == outcome.provider_sid
    assert missing.result is LookupResult.NOT_FOUND


def test_signature_is_validated_against_the_public_url() -> None:
    url = "https://mies.example.org/twilio/inbound"
    params = {"From": PHONE, "Body": "BAJA"}
    signature = RequestValidator(TOKEN).compute_signature(url, params)

    assert valid_twilio_signature(TOKEN, url, params, signature)
    assert not valid_twilio_signature(TOKEN, url, {**params, "Body": "ALTA"}, signature)
    assert not valid_twilio_signature(
        TOKEN, "http://10.0.0.5:8080/twilio/inbound", params, signature
    )
    assert not valid_twilio_signature("other-token", url, params, signature)
