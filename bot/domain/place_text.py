"""A place as citizens write it: «Tacamoros Sozoranga», «San José de Chambo», «vivo en Tacamoros,
cantón Sozoranga», «Tacamoros (Sozoranga)».

The parish comes first and the canton or province, when given, after it, with or without a comma.
This module only proposes readings (parish name, where); the territory directory keeps the one
that names a real parish of that canton.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.text import name_key

# Words around the place that are not its name.
_LEADING = re.compile(
    r"^(?:(?:yo\s+)?(?:vivo|vive|viven|vivimos|estoy|esta|queda|es|soy|somos)\s+(?:en|de)\s+"
    r"|en\s+|de\s+|la\s+|el\s+)*(?:(?:la\s+)?parroquia\s+(?:de\s+)?)?"
)
_AREA_WORDS = re.compile(r"\b(?:del\s+|de\s+)?(?:canton|provincia)\s+(?:de\s+)?")
_SEPARATORS = (",", "(", " - ", ";")
_JOINERS = frozenset({"de", "del", "en", "canton", "provincia"})


@dataclass(frozen=True)
class PlaceReading:
    """One way to read the message: the parish's name and where it is (canton or province)."""

    name: str
    where: str = ""


def place_readings(text: str) -> list[PlaceReading]:
    """The readings of `text`, most literal first: whole; split at a comma or bracket; the last
    one, two or three words as the canton; «X de Y» and «X en Y» as parish and canton."""
    cleaned = _LEADING.sub("", text.strip().lower()).strip()
    readings: list[PlaceReading] = []

    def add(name: str, where: str = "") -> None:
        reading = PlaceReading(name_key(name), name_key(_AREA_WORDS.sub(" ", where)))
        dangling = reading.name.split()[-1:] + reading.where.split()[:1]
        if reading.name and reading not in readings and not set(dangling) & _JOINERS:
            readings.append(reading)

    add(cleaned)
    for separator in _SEPARATORS:
        if separator in cleaned:
            name, _, where = cleaned.partition(separator)
            add(name, where.replace(")", " "))
    area = _AREA_WORDS.search(cleaned)
    if area:
        add(cleaned[: area.start()], cleaned[area.end() :])
    for joiner in (" de ", " en ", " del "):
        start = cleaned.rfind(joiner)
        if start > 0:
            add(cleaned[:start], cleaned[start + len(joiner) :])
    words = name_key(cleaned).split()
    for size in (1, 2, 3):
        if len(words) > size:
            add(" ".join(words[:-size]), " ".join(words[-size:]))
    return readings
