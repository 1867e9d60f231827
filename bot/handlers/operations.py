"""Operations endpoints of the web app: GET /metrics (Prometheus), /healthz and /readyz.

- `/healthz` (liveness): the process answers; no database, so a database outage does not get
  every replica restarted by the orchestrator.
- `/readyz` (readiness): the database answers and its schema is at the code's Alembic head(s);
  503 otherwise, so the load balancer sends no traffic to a replica that cannot serve it (e.g.
  during a deploy before `bot db upgrade`, or while the primary fails over to the standby).
- `/metrics`: the counters of bot/metrics.py plus the outbox read at scrape time by
  `OutboxCollector`: one grouped query over the unsettled rows (pending, sending, unconfirmed,
  unknown), which the (status, next_attempt_at) index serves, so a scrape stays cheap however
  many sent rows the outbox keeps. The query has a short timeout; a database that does not
  answer is reported as `mies_database_up 0` and the rest is still served.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from alembic.script import ScriptDirectory
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.services.container import Services
from bot.storage.migrate import alembic_config
from bot.storage.models import OutboxMessage
from notificaciones import outbox_states

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
UNSETTLED = (
    outbox_states.PENDING,
    outbox_states.SENDING,
    outbox_states.UNCONFIRMED,
    outbox_states.UNKNOWN,
)
QUERY_TIMEOUT_SECONDS = 2.0


def schema_heads() -> frozenset[str]:
    """The Alembic head revision(s) of the code."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


@dataclass
class OutboxSnapshot:
    """The outbox as one scrape saw it."""

    at: datetime
    depth: dict[tuple[str, str], int] = field(default_factory=dict)
    oldest: dict[tuple[str, str], datetime] = field(default_factory=dict)
    due_since: dict[str, datetime] = field(default_factory=dict)
    database_up: bool = True


async def read_outbox(services: Services) -> OutboxSnapshot:
    """Counts the unsettled outbox rows by status and channel, with their oldest ages."""
    now = services.clock()
    snapshot = OutboxSnapshot(at=now)
    grouped = (
        select(
            OutboxMessage.status,
            OutboxMessage.channel,
            func.count(),
            func.min(OutboxMessage.created_at),
        )
        .where(OutboxMessage.status.in_(UNSETTLED))
        .group_by(OutboxMessage.status, OutboxMessage.channel)
    )
    due = (
        select(OutboxMessage.channel, func.min(OutboxMessage.next_attempt_at))
        .where(OutboxMessage.status == outbox_states.PENDING, OutboxMessage.next_attempt_at <= now)
        .group_by(OutboxMessage.channel)
    )
    async with services.session_factory() as session:
        for status, channel, count, oldest in (await session.execute(grouped)).all():
            snapshot.depth[(status, channel)] = int(count)
            if oldest is not None:
                snapshot.oldest[(status, channel)] = oldest
        for channel, since in (await session.execute(due)).all():
            if since is not None:
                snapshot.due_since[channel] = since
    return snapshot


class OutboxCollector(Collector):
    """Exposes the last `OutboxSnapshot` (refreshed by the /metrics endpoint before each scrape)."""

    def __init__(self) -> None:
        self.snapshot: OutboxSnapshot | None = None

    def collect(self) -> Iterable[Metric]:
        """The outbox gauges of the latest snapshot."""
        up = GaugeMetricFamily("mies_database_up", "1 if the database answered this scrape.")
        up.add_metric([], 1.0 if self.snapshot is not None and self.snapshot.database_up else 0.0)
        yield up
        snapshot = self.snapshot
        if snapshot is None or not snapshot.database_up:
            return
        depth = GaugeMetricFamily(
            "mies_outbox_messages",
            "Unsettled outbox rows by status and channel.",
            labels=["status", "channel"],
        )
        age = GaugeMetricFamily(
            "mies_outbox_oldest_age_seconds",
            "Age of the oldest unsettled outbox row (since it was queued), by status and channel.",
            labels=["status", "channel"],
        )
        for status in UNSETTLED:
            for channel in ("sms", "telegram"):
                key = (status, channel)
                depth.add_metric([status, channel], snapshot.depth.get(key, 0))
                oldest = snapshot.oldest.get(key)
                seconds = (snapshot.at - oldest).total_seconds() if oldest else 0.0
                age.add_metric([status, channel], max(0.0, seconds))
        lag = GaugeMetricFamily(
            "mies_outbox_due_lag_seconds",
            "How long the longest-waiting due pending row has been due, by channel.",
            labels=["channel"],
        )
        for channel in ("sms", "telegram"):
            since = snapshot.due_since.get(channel)
            lag.add_metric(
                [channel], max(0.0, (snapshot.at - since).total_seconds()) if since else 0
            )
        yield from (depth, age, lag)


def _registry(collector: OutboxCollector) -> CollectorRegistry:
    """The process-wide registry (bot/metrics.py, process and platform) plus the outbox."""
    registry = CollectorRegistry(auto_describe=True)

    class _Both(Collector):
        def collect(self) -> Iterator[Metric]:
            yield from REGISTRY.collect()
            yield from collector.collect()

    registry.register(_Both())
    return registry


def operations_routes(services: Services) -> list[BaseRoute]:
    """The /healthz, /readyz and (when METRICS_ENABLED) /metrics routes."""
    heads = schema_heads()
    collector = OutboxCollector()
    registry = _registry(collector)
    scrape = asyncio.Lock()

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_request: Request) -> Response:
        try:
            async with asyncio.timeout(QUERY_TIMEOUT_SECONDS), services.engine.connect() as conn:
                current = frozenset(
                    await conn.scalars(text("SELECT version_num FROM alembic_version"))
                )
        except Exception as error:
            log.warning("Readiness: database unreachable (%s)", type(error).__name__)
            return PlainTextResponse("database unreachable", status_code=503)
        if current != heads:
            return PlainTextResponse("database schema not at head", status_code=503)
        return PlainTextResponse("ready")

    async def metrics_endpoint(_request: Request) -> Response:
        async with scrape:  # concurrent scrapes share one query's snapshot in turn
            try:
                async with asyncio.timeout(QUERY_TIMEOUT_SECONDS):
                    collector.snapshot = await read_outbox(services)
            except Exception as error:
                log.warning("Metrics: outbox not read (%s)", type(error).__name__)
                collector.snapshot = OutboxSnapshot(at=services.clock(), database_up=False)
            body = generate_latest(registry)
        return Response(body, media_type=CONTENT_TYPE)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
    if services.settings.metrics_enabled:
        routes.append(Route("/metrics", metrics_endpoint, methods=["GET"]))
    return routes
