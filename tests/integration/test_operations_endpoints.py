"""/metrics, /healthz and /readyz of the web app, as a scraper and a load balancer call them."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from bot.flows.base import Incoming
from bot.flows.engine import FlowEngine
from bot.handlers import operations
from bot.handlers.web import build_app
from bot.services.container import Services
from bot.storage.db import create_engine, create_session_factory
from bot.storage.models import OutboxMessage
from notificaciones import outbox
from notificaciones.dispatcher import Dispatcher
from notificaciones.gateways.twilio import TwilioSmsGateway
from tests.integration.test_sms_webhooks import _status, web_services
from tests.integration.test_twilio_gateway import twilio_settings
from tests.support.clock import FakeClock
from tests.support.twilio_fake import FakeTwilioApi

__all__ = ["web_services"]  # the fixture, shared with the webhook tests

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def _get(services: Services, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=build_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://10.0.0.5:8080") as client:
        return await client.get(path)


async def _scrape(services: Services) -> Samples:
    response = await _get(services, "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def _queue(services: Services, clock: FakeClock, channel: str, address: str) -> None:
    async with services.session_factory() as session, session.begin():
        await outbox.enqueue(
            session,
            channel=channel,
            address=address,
            body="Aviso",
            kind="test",
            dedupe_key=f"ops:{channel}:{address}",
            due_at=clock(),
            now=clock(),
        )


async def test_a_scrape_counts_turns_and_reads_the_outbox(
    services: Services, clock: FakeClock, flow_engine: FlowEngine
) -> None:
    before = await _scrape(services)
    await flow_engine.handle(Incoming("console", "ops-1", text="hola"))
    await flow_engine.handle(Incoming("console", "ops-1", text="menú"))
    await _queue(services, clock, "sms", "+593991110001")
    clock.advance(minutes=5)
    await _queue(services, clock, "sms", "+593991110002")
    await _queue(services, clock, "telegram", "5550101")
    clock.advance(minutes=1)

    after = await _scrape(services)

    turns = ("mies_turns_total", {"channel": "console", "outcome": "ok"})
    assert _value(after, turns[0], **turns[1]) - _value(before, turns[0], **turns[1]) == 2
    count = _value(after, "mies_turn_seconds_count", channel="console")
    assert count - _value(before, "mies_turn_seconds_count", channel="console") == 2
    assert _value(after, "mies_outbox_messages", status="pending", channel="sms") == 2
    assert _value(after, "mies_outbox_messages", status="pending", channel="telegram") == 1
    assert _value(after, "mies_outbox_messages", status="sending", channel="sms") == 0
    oldest = _value(after, "mies_outbox_oldest_age_seconds", status="pending", channel="sms")
    assert oldest == timedelta(minutes=6).total_seconds()
    assert _value(after, "mies_outbox_due_lag_seconds", channel="sms") == 360
    assert _value(after, "mies_database_up") == 1
    assert ("process_cpu_seconds_total", ()) in after  # the client's process collector


async def test_a_failed_flow_counts_as_recovered(
    services: Services, flow_engine: FlowEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await _scrape(services)

    async def broken(*_args: object) -> None:
        raise RuntimeError("a flow bug")

    monkeypatch.setattr(flow_engine, "_route", broken)
    delivery = await flow_engine.handle(Incoming("console", "ops-2", text="hola"))

    after = await _scrape(services)
    assert "Disculpe" in delivery.replies[0].text
    name, labels = "mies_turns_total", {"channel": "console", "outcome": "recovered"}
    assert _value(after, name, **labels) - _value(before, name, **labels) == 1


async def test_liveness_and_readiness_when_all_is_well(services: Services) -> None:
    assert (await _get(services, "/healthz")).text == "ok"
    ready = await _get(services, "/readyz")
    assert (ready.status_code, ready.text) == (200, "ready")


async def test_not_ready_while_the_schema_lags_behind_the_code(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The new code is deployed, `bot db upgrade` has not run yet.
    monkeypatch.setattr(operations, "schema_heads", lambda: frozenset({"9999_next"}))

    ready = await _get(services, "/readyz")

    assert (ready.status_code, ready.text) == (503, "database schema not at head")
    assert (await _get(services, "/healthz")).status_code == 200  # alive: do not restart it


async def test_without_a_database_not_ready_but_alive_and_scraped(
    services: Services, tmp_path: Path
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'dir' / 'db.sqlite'}")
    down = dataclasses.replace(
        services, engine=engine, session_factory=create_session_factory(engine)
    )
    try:
        assert (await _get(down, "/readyz")).status_code == 503
        assert (await _get(down, "/healthz")).status_code == 200
        samples = await _scrape(down)
        assert _value(samples, "mies_database_up") == 0
    finally:
        await engine.dispose()


async def test_metrics_can_be_switched_off(services: Services) -> None:
    off = dataclasses.replace(
        services, settings=services.settings.model_copy(update={"metrics_enabled": False})
    )
    assert (await _get(off, "/metrics")).status_code == 404


async def test_provider_results_and_callback_lag_are_counted(
    web_services: Services, clock: FakeClock
) -> None:
    api = FakeTwilioApi()
    api.fail_next["+593991110004"] = [(400, 21211)]  # an invalid number: a provider error
    await _queue(web_services, clock, "sms", "+593991110003")
    await _queue(web_services, clock, "sms", "+593991110004")
    before = await _scrape(web_services)
    dispatcher = Dispatcher(
        web_services.session_factory,
        web_services.settings,
        TwilioSmsGateway(twilio_settings(), api),
        clock=clock,
    )
    await dispatcher.run_until_idle()
    [message] = api.messages
    async with web_services.session_factory() as session:
        row_id = await session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.provider_sid == message.sid)
        )
    assert row_id is not None
    clock.advance(seconds=40)

    assert (await _status(web_services, row_id, message.sid, "delivered")).status_code == 204

    after = await _scrape(web_services)

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert delta("mies_provider_results_total", channel="sms", result="accepted") == 1
    assert delta("mies_provider_results_total", channel="sms", result="permanent") == 1
    assert delta("mies_callback_lag_seconds_count", status="delivered") == 1
    assert delta("mies_callback_lag_seconds_sum", status="delivered") == 40
