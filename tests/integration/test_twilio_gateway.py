"""The Twilio adapter through the real twilio client, against a stubbed HTTP client (no sockets)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from twilio.request_validator import RequestValidator

from bot.config import Settings
from notificaciones.gateways.sms import LookupResult, SendResult
from notificaciones.gateways.twilio import TwilioSmsGateway, valid_twilio_signature
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
        (500, None, SendResult.TRANSIENT),
        (503, 20503, SendResult.TRANSIENT),
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


async def test_a_timeout_is_transient() -> None:
    api = FakeTwilioApi()
    api.timeout_for.add(PHONE)
    gateway = TwilioSmsGateway(twilio_settings(), api)

    outcome = await gateway.send(PHONE, "Hola", reference="1")

    assert outcome.result is SendResult.TRANSIENT
    assert outcome.reason == "timeout"


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
