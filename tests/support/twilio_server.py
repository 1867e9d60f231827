"""Twilio's Messages API as its own process, for tests that run the product as real processes.

    python -m tests.support.twilio_server PORT

The product's real `twilio` client reaches it through `TWILIO_BASE_URL=http://127.0.0.1:PORT`.
Every request is answered by the in-process fake (`tests.support.twilio_fake.FakeTwilioApi`:
create, fetch, list by recipient and date, as api.twilio.com answers), stamped with the real
time; `GET /sent` returns the accepted messages as JSON [{"sid", "to", "body"}].
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from aiohttp import web

from tests.support.twilio_fake import FakeTwilioApi

TWILIO_API = "https://api.twilio.com"


def build() -> web.Application:
    """The server's routes; the accepted messages live in the fake."""
    fake = FakeTwilioApi()

    async def api(request: web.Request) -> web.Response:
        fake.now = datetime.now(UTC)
        form = dict(await request.post()) if request.method == "POST" else {}
        response = await fake.request(
            request.method,
            TWILIO_API + request.path,
            params=dict(request.query),
            data={key: str(value) for key, value in form.items()},
        )
        return web.Response(
            status=response.status_code, text=response.text, content_type="application/json"
        )

    async def sent(_request: web.Request) -> web.Response:
        return web.json_response(
            [{"sid": m.sid, "to": m.to, "body": m.body} for m in fake.messages]
        )

    app = web.Application()
    app.router.add_get("/sent", sent)
    app.router.add_route("*", "/2010-04-01/{tail:.*}", api)
    return app


if __name__ == "__main__":
    web.run_app(build(), host="127.0.0.1", port=int(sys.argv[1]), print=None)
