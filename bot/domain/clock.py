"""The injectable clock: production uses UTC now; tests pass a fixed or advancing one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Returns the current aware UTC time."""
    return datetime.now(UTC)
