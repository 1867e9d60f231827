"""The product's Prometheus metrics (prometheus-client), served at GET /metrics of the web app.

Counters and histograms are updated where things happen (one call each): the flow engine's turns
(`observed_turn`, `recovery`), the dispatcher's provider results, the status callbacks' lag, the
scheduler's lag. The outbox's depth and age are not counted here: they are read from the
database at scrape time (bot/handlers/metrics.py), so every replica reports the same truth.
No label holds a person's data: channels, outcomes, statuses and results are small fixed sets.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from prometheus_client import Counter, Gauge, Histogram

TURNS = Counter(
    "mies_turns",
    "Conversation turns handled, by channel and outcome "
    "(ok; recovered: a flow failed and the citizen got the apology; unavailable: the database "
    "could not be reached and the message was kept for later).",
    ["channel", "outcome"],
)
TURN_SECONDS = Histogram(
    "mies_turn_seconds",
    "Time to handle one conversation turn (database transaction included), by channel.",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
PROVIDER_RESULTS = Counter(
    "mies_provider_results",
    "Send attempts by channel and provider result (accepted, transient, permanent, opted_out, "
    "unknown); everything but accepted is a provider error.",
    ["channel", "result"],
)
CALLBACK_LAG = Histogram(
    "mies_callback_lag_seconds",
    "Time from handing an SMS to the provider to each of its status callbacks, by status.",
    ["status"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 900, 3600, 21600, 86400),
)
SCHEDULER_LAG = Gauge(
    "mies_scheduler_lag_seconds",
    "How late the last scheduler tick started against its interval (this process, when leader).",
)
SCHEDULER_TICK_SECONDS = Gauge(
    "mies_scheduler_tick_seconds", "How long the last scheduler tick took (jobs and retention)."
)
RETENTION_DELETED = Counter(
    "mies_retention_deleted_rows", "Rows deleted by the retention jobs, by table.", ["table"]
)

_outcome: ContextVar[str] = ContextVar("mies_turn_outcome", default="ok")


class _HasChannel(Protocol):
    @property
    def channel(self) -> str:
        """The channel the message came from."""
        ...


S = TypeVar("S")
M = TypeVar("M", bound=_HasChannel)
T = TypeVar("T")
P = ParamSpec("P")


def observed_turn(
    handle: Callable[Concatenate[S, M, P], Awaitable[T]],
) -> Callable[Concatenate[S, M, P], Awaitable[T]]:
    """Decorates the engine's `handle(incoming, …)`: counts the turn and times it.

    An exception out of `handle` is a message kept for later (it never raises for user input).
    """

    @functools.wraps(handle)
    async def observed(self: S, incoming: M, /, *args: P.args, **kwargs: P.kwargs) -> T:
        token = _outcome.set("ok")
        started = time.perf_counter()
        outcome = "unavailable"
        try:
            result = await handle(self, incoming, *args, **kwargs)
            outcome = _outcome.get()
            return result
        finally:
            _outcome.reset(token)
            TURNS.labels(incoming.channel, outcome).inc()
            TURN_SECONDS.labels(incoming.channel).observe(time.perf_counter() - started)

    return observed


def recovery(
    recover: Callable[Concatenate[S, P], Awaitable[T]],
) -> Callable[Concatenate[S, P], Awaitable[T]]:
    """Decorates the engine's recovery after a flow failure: the turn's outcome is `recovered`."""

    @functools.wraps(recover)
    async def marked(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        _outcome.set("recovered")
        return await recover(self, *args, **kwargs)

    return marked


def provider_result(channel: str, result: str) -> None:
    """Counts one send attempt's result."""
    PROVIDER_RESULTS.labels(channel, result).inc()


def callback_lag(status: str, seconds: float) -> None:
    """Records how long after the send a status callback arrived."""
    CALLBACK_LAG.labels(status).observe(max(0.0, seconds))
