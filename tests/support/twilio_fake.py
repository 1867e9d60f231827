"""A stateful fake of Twilio's Messages API behind twilio's own async HTTP client interface.

No sockets: the real `twilio.rest.Client` builds each request and parses each response, and this
class answers like api.twilio.com would. Tests script failures per recipient number, including the
network's: a connect failure (nothing reached Twilio), a connection dropped before or after Twilio
accepted the message. Like the real client's trace, the fake reports the moment a request reaches
it (`request_may_be_on_the_wire`), so the gateway can tell the two kinds apart.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from twilio.http import AsyncHttpClient
from twilio.http.response import Response

from notificaciones.gateways.twilio import request_may_be_on_the_wire


@dataclass
class FakeRequest:
    """One request the fake received."""

    method: str
    url: str
    params: dict[str, object]
    data: dict[str, object]
    auth: tuple[str, str] | None


@dataclass
class FakeMessage:
    """One message the fake accepted."""

    sid: str
    to: str
    body: str
    status: str
    created: datetime
    fields: dict[str, object]


class FakeTwilioApi(AsyncHttpClient):  # type: ignore[misc]
    """Answers Messages create/fetch/list; `fail_next[to]` scripts (HTTP status, code) replies.

    Network failures of a create, per recipient: `connect_fails_for` (every time, before the
    request leaves), `timeout_for` (every time, after Twilio got it, without accepting it),
    `drop_before_accept` / `drop_after_accept` (once each: the connection drops before or after
    Twilio stored the message). `lookups_unavailable` makes every GET answer 503.
    """

    reports_writes = True  # it calls request_may_be_on_the_wire, as the real client's trace does

    def __init__(self, now: datetime | None = None) -> None:
        super().__init__(logging.getLogger("tests.twilio_fake"), True, None)
        self.requests: list[FakeRequest] = []
        self.messages: list[FakeMessage] = []
        self.fail_next: dict[str, list[tuple[int, int | None]]] = {}
        self.timeout_for: set[str] = set()
        self.connect_fails_for: set[str] = set()
        self.drop_before_accept: set[str] = set()
        self.drop_after_accept: set[str] = set()
        self.lookups_unavailable = False
        self.now = now or datetime(2026, 11, 20, 15, 0, tzinfo=UTC)

    def sent_to(self, to: str) -> list[FakeMessage]:
        """The messages accepted for one number."""
        return [m for m in self.messages if m.to == to]

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
        if method == "POST" and str((data or {}).get("To", "")) in self.connect_fails_for:
            raise aiohttp.ConnectionTimeoutError("connect timeout")  # nothing left the client
        request_may_be_on_the_wire()
        self.requests.append(FakeRequest(method, url, dict(params or {}), dict(data or {}), auth))
        path = urlsplit(url).path
        if method == "POST" and path.endswith("/Messages.json"):
            return self._create(dict(data or {}))
        if method == "GET" and self.lookups_unavailable:
            return Response(503, json.dumps({"code": 20503, "message": "unavailable"}))
        if method == "GET" and path.endswith("/Messages.json"):
            query = params or {}
            to = str(query.get("To", ""))
            after = query.get("DateSent>")
            since = datetime.fromisoformat(str(after).replace("Z", "+00:00")) if after else None
            found = [
                self._json(m)
                for m in reversed(self.messages)
                if (not to or m.to == to) and (since is None or m.created >= since)
            ]
            return _ok({"messages": found, "next_page_uri": None, "page": 0, "page_size": 50})
        if method == "GET" and "/Messages/" in path:
            sid = path.rsplit("/", 1)[-1].removesuffix(".json")
            for message in self.messages:
                if message.sid == sid:
                    return _ok(self._json(message))
            return Response(404, json.dumps({"code": 20404, "message": "not found"}))
        return Response(404, json.dumps({"code": 20404, "message": "no route"}))

    def _create(self, data: dict[str, object]) -> Response:
        to = str(data.get("To", ""))
        if to in self.timeout_for:
            raise TimeoutError
        if to in self.drop_before_accept:
            self.drop_before_accept.discard(to)
            raise aiohttp.ServerDisconnectedError
        scripted = self.fail_next.get(to)
        if scripted:
            status, code = scripted.pop(0)
            body: dict[str, Any] = {"status": status, "message": "scripted failure"}
            if code is not None:
                body["code"] = code
            return Response(status, json.dumps(body))
        message = FakeMessage(
            sid=f"SM{len(self.messages) + 1:032d}",
            to=to,
            body=str(data.get("Body", "")),
            status="queued",
            created=self.now,
            fields=data,
        )
        self.messages.append(message)
        if to in self.drop_after_accept:
            self.drop_after_accept.discard(to)
            raise aiohttp.ServerDisconnectedError  # Twilio stored it; we never read the answer
        return Response(201, json.dumps(self._json(message)))

    @staticmethod
    def _json(message: FakeMessage) -> dict[str, object]:
        return {
            "sid": message.sid,
            "to": message.to,
            "body": message.body,
            "status": message.status,
            "date_created": format_datetime(message.created),
            "error_code": None,
            "num_segments": "1",
        }


def _ok(payload: dict[str, object]) -> Response:
    return Response(200, json.dumps(payload))
