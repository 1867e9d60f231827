"""A case a citizen names in a message: «mi caso 123», «caso 11D06-2026-00042», «el 00042».

Case numbers are `<district or NAC>-<year>-<serial>` (bot/services/cases.py); citizens write the
whole number or only its serial. Which case it may be is the service's to decide, and only among
the citizen's own cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FULL = re.compile(r"\b(\d{2}[a-z]\d{2}|nac)\s*-\s*(\d{4})\s*-\s*(\d{1,6})\b", re.IGNORECASE)
_SERIAL = re.compile(r"(?<![\d/.-])(\d{1,6})(?![\d/.-])")


@dataclass(frozen=True)
class CaseReference:
    """The full number when written, and the serial (the number's last part) either way."""

    serial: int
    number: str | None = None


def case_reference(text: str) -> CaseReference | None:
    """The case the message names, or None when it names no number."""
    full = _FULL.search(text or "")
    if full:
        district, year, serial = full.groups()
        return CaseReference(int(serial), f"{district.upper()}-{year}-{int(serial):05d}")
    serial_match = _SERIAL.search(text or "")
    if serial_match and int(serial_match.group(1)) > 0:
        return CaseReference(int(serial_match.group(1)))
    return None
