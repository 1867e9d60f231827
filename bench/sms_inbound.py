"""Inbound SMS turns per second through the webhook app, and the CPU each turn costs.

    python -m bench.sms_inbound [--rows 20000] [--turns 1200] [--databases sqlite,postgres]

Simulated citizens on basic phones (50 at a time) send signed Twilio webhooks to the real
Starlette app (`bot.handlers.web.build_app`, through httpx's ASGI transport: no sockets), each
turn a real conversation step of the flow engine on the benchmark registry: «hola», «porq no me
llego el bono», their cédula and birth date (from a phone that is not the registry's: a one-time
code is queued to the registry's phone), «donde queda mi oficina», a parish. Every answer is an
outbox row, and the app hands it to the real dispatcher and `TwilioSmsGateway`, whose HTTP client
is an in-process stub answering like api.twilio.com. Figures: turns/s, CPU ms per turn (the
whole process), p50/p99 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import statistics
import time
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr
from sqlalchemy import func, select
from twilio.http import AsyncHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

from bench.harness import registry
from bench.harness.report import emit, postgres_admin_url, quick_mode
from bench.harness.scenarios import PLACES
from bot.config import Settings
from bot.handlers.web import build_app
from bot.runtime.composition import build_services
from bot.storage.models import OutboxMessage
from notificaciones.dispatcher import Dispatcher
from notificaciones.gateways.twilio import TwilioSmsGateway

CONCURRENT = 50
TOKEN = "bench-auth-token"
PUBLIC = "https://bench.example.org"


class StubTwilio(AsyncHttpClient):  # type: ignore[misc]
    """Answers every Messages create like Twilio (201 with a SID), without a network."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("bench.twilio_stub"), True, None)
        self.sids = itertools.count(1)
        self.created = 0

    async def request(self, method: str, url: str, *args: object, **kwargs: object) -> Response:
        self.created += 1
        sid = f"SM{next(self.sids):032d}"
        return Response(201, json.dumps({"sid": sid, "status": "queued", "body": "", "to": ""}))


def _script(c: int, rows: int) -> tuple[str, list[str]]:
    """Citizen `c`'s phone and what she writes (the registry's generated mobiles are not valid
    Ecuadorian numbers, so she writes from her own: the payment takes the one-time-code path)."""
    person = registry.identity((c * 7919) % rows)
    phone = f"+59399{abs(c) % 10_000_000:07d}"
    return phone, [
        "hola",
        "porq no me llego el bono",
        person.cedula,
        person.birth_date.strftime("%d/%m/%Y"),
        "donde queda mi oficina",
        PLACES[c % len(PLACES)],
    ]


async def _measure(name: str, url: str, rows: int, turns: int) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=url,
        audit_pseudonym_key="bench-only-audit-pseudonym-key",
        panel_session_key=SecretStr("bench-only-panel-session-key"),
        twilio_account_sid="AC" + "1" * 32,
        twilio_auth_token=SecretStr(TOKEN),
        twilio_messaging_service_sid="MG" + "2" * 32,
        public_base_url=PUBLIC,
        # A citizen of the benchmark writes far faster than a person: no per-phone limits.
        replies_per_phone_per_minute=10_000,
        replies_per_phone_per_day=10_000,
        replies_daily_spend_usd=1_000_000,
    )
    services = await build_services(settings)
    stub = StubTwilio()
    dispatcher = Dispatcher(
        services.session_factory,
        settings,
        TwilioSmsGateway(settings, stub),
        clock=services.clock,
        rate_per_second=None,
    )
    app = build_app(services, replies=dispatcher)
    validator = RequestValidator(TOKEN)
    sids = itertools.count(1)
    latencies: list[float] = []
    done = [0]

    async def citizen(client: httpx.AsyncClient, c: int, budget: int) -> None:
        phone, lines = _script(c, rows)
        for line in itertools.cycle(lines):
            if done[0] >= budget:
                return
            done[0] += 1
            form = {"MessageSid": f"SM{next(sids):032d}", "From": phone, "Body": line}
            signature = validator.compute_signature(PUBLIC + "/twilio/inbound", form)
            started = time.perf_counter()
            response = await client.post(
                "/twilio/inbound",
                content=urlencode(form),
                headers={
                    "X-Twilio-Signature": signature,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code

    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await asyncio.gather(*(citizen(client, -1 - c, 30) for c in range(5)))  # warm up
            done[0], latencies[:] = 0, []
            created = stub.created
            cpu, wall = time.process_time(), time.perf_counter()
            await asyncio.gather(*(citizen(client, c, turns) for c in range(CONCURRENT)))
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        latencies.sort()
        emit(f"sms_inbound/{name}", "throughput", done[0] / wall, "turns/s")
        emit(f"sms_inbound/{name}", "cpu_per_turn", 1000 * cpu / done[0], "ms")
        emit(f"sms_inbound/{name}", "p50", 1000 * statistics.median(latencies), "ms")
        emit(f"sms_inbound/{name}", "p99", 1000 * latencies[int(0.99 * (len(latencies) - 1))], "ms")
        emit(f"sms_inbound/{name}", "sms_sent_per_turn", (stub.created - created) / done[0], "")
        async with services.session_factory() as session:
            result = await session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            )
            statuses = {str(status): int(count) for status, count in result.all()}
        replies = statuses.get("sent", 0)
        emit(f"sms_inbound/{name}", "outbox_sent", replies, f"rows ({statuses})")
    finally:
        await services.close()


async def _run(rows: int, turns: int, databases: tuple[str, ...]) -> None:
    load1, _, _ = os.getloadavg()
    emit("sms_inbound/machine", "load_avg_1m", load1, f"(cpus: {os.cpu_count()})")

    async def measure(name: str, url: str) -> None:
        await _measure(name, url, rows, turns)

    await registry.on_each_database("sms_inbound", rows, databases, measure, postgres_admin_url())


def main() -> None:
    """Parses the options and runs the inbound SMS benchmark."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000, help="registry rows")
    parser.add_argument("--turns", type=int, help="inbound SMS per database")
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args()
    turns = args.turns or (300 if quick_mode() else 1200)
    databases = tuple(d for d in args.databases.split(",") if d in ("sqlite", "postgres"))
    asyncio.run(_run(args.rows, turns, databases))


if __name__ == "__main__":
    main()
