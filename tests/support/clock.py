"""A controllable clock for tests: time is injected, never slept on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """Returns a fixed time that tests move forward explicitly."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 20, 15, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        """Moves the clock forward by a timedelta's keyword arguments."""
        self.current += timedelta(**delta)
