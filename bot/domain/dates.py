"""Dates typed by citizens, in the ways people write them, checked for sense.

«14/03/1988», «14-3-1988», «14.03.88», «14 03 1988», «14 de marzo del 88», «14 marzo 1988»,
«nací el 14 de marzo de 1988», «marzo 14 de 1988»: the date is found among the words. A
two-digit year of a birth date is the most recent one not in the future («88» → 1988, «05» →
2005); the flow shows the full date back, so a wrong century is seen and corrected.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from bot.domain.errors import N_, DomainError
from bot.domain.text import fold

_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})\s*[/\-. ]\s*(\d{1,2})\s*[/\-. ]\s*(\d{4}|\d{2})(?!\d)")
_MONTHS = {
    "enero": 1, "ene": 1, "febrero": 2, "feb": 2, "marzo": 3, "mar": 3, "abril": 4, "abr": 4,
    "mayo": 5, "may": 5, "junio": 6, "jun": 6, "julio": 7, "jul": 7, "agosto": 8, "ago": 8,
    "septiembre": 9, "setiembre": 9, "sep": 9, "sept": 9, "set": 9, "octubre": 10, "oct": 10,
    "noviembre": 11, "nov": 11, "diciembre": 12, "dic": 12,
    "january": 1, "jan": 1, "february": 2, "march": 3, "april": 4, "apr": 4, "june": 6,
    "july": 7, "august": 8, "aug": 8, "september": 9, "october": 10, "november": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_IN_WORDS = re.compile(
    rf"(?<!\d)(\d{{1,2}})\s*(?:de\s+|of\s+)?({_MONTH})\.?\s*(?:de\s+|del\s+|,\s*)?(\d{{4}}|\d{{2}})(?!\d)"
)
_MONTH_FIRST = re.compile(
    rf"\b({_MONTH})\.?\s+(\d{{1,2}})\s*(?:de\s+|del\s+|,\s*)?(\d{{4}}|\d{{2}})(?!\d)"
)


class InvalidDate(DomainError):
    """A date that is malformed, impossible (31/02) or out of range for a birth date."""


def _parts(text: str) -> tuple[int, int, int, bool] | None:
    """(day, month, year, year had two digits) found in `text`, or None."""
    folded = fold(text or "")
    match = _NUMERIC.search(folded)
    if match:
        day, month, year = match.groups()
        return int(day), int(month), int(year), len(year) == 2
    match = _IN_WORDS.search(folded)
    if match:
        day, month, year = match.groups()
        return int(day), _MONTHS[month], int(year), len(year) == 2
    match = _MONTH_FIRST.search(folded)
    if match:
        month, day, year = match.groups()
        return int(day), _MONTHS[month], int(year), len(year) == 2
    return None


def looks_like_date(text: str) -> bool:
    """True when `text` holds a day, a month and a year (it may still be an impossible date)."""
    return _parts(text) is not None


def parse_birth_date(text: str, today: date) -> date:
    """Reads a birth date written in any of the module's forms; raises `InvalidDate` naming the
    problem."""
    found = _parts(text)
    if found is None:
        raise InvalidDate(
            N_("Escriba la fecha como día/mes/año, por ejemplo 14/03/1988."),
        )
    day, month, year, short = found
    if short:
        year += 2000 if 2000 + year <= today.year else 1900
    if not 1 <= month <= 12:
        raise InvalidDate(N_("El mes va de 1 a 12; usted escribió {month}."), month=month)
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise InvalidDate(
            N_("La fecha {day:02d}/{month:02d}/{year} no existe: ese mes tiene {last} días."),
            day=day,
            month=month,
            year=year,
            last=last,
        )
    value = date(year, month, day)
    if value > today:
        raise InvalidDate(N_("La fecha de nacimiento no puede estar en el futuro."))
    if year < today.year - 120:
        raise InvalidDate(N_("Revise el año: {year} es demasiado antiguo."), year=year)
    return value
