"""Reading typed answers in flows: whole numbers with clear Spanish errors."""

from __future__ import annotations

import re

from bot.domain.errors import N_, DomainError

_INT = re.compile(r"^\s*(-?\d{1,6})\s*(?:anos|años|%|por ciento)?\s*$", re.IGNORECASE)


class InvalidNumber(DomainError):
    """A typed number that is not a number or is outside the accepted range."""


def parse_int(text: str, *, low: int, high: int, out_of_range: str) -> int:
    """Reads a whole number in [low, high]; `out_of_range` is an `N_` template with {value}."""
    match = _INT.match(text or "")
    if match is None:
        raise InvalidNumber(N_("Escriba solo un número, por ejemplo {example}."), example=low + 1)
    value = int(match.group(1))
    if not low <= value <= high:
        raise InvalidNumber(out_of_range, value=value, low=low, high=high)
    return value
