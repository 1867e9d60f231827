"""Dates typed by citizens: day/month/year in the ways people write them, checked for sense."""

from __future__ import annotations

import calendar
import re
from datetime import date

from bot.domain.errors import N_, DomainError

_DATE = re.compile(r"^\s*(\d{1,2})\s*[/\-. ]\s*(\d{1,2})\s*[/\-. ]\s*(\d{2,4})\s*$")


class InvalidDate(DomainError):
    """A date that is malformed, impossible (31/02) or out of range for a birth date."""


def looks_like_date(text: str) -> bool:
    """True when `text` has the shape day/month/year (it may still be an impossible date)."""
    return _DATE.match(text or "") is not None


def parse_birth_date(text: str, today: date) -> date:
    """Parses 'dd/mm/aaaa' (or with - . spaces); raises `InvalidDate` naming the problem."""
    match = _DATE.match(text or "")
    if match is None:
        raise InvalidDate(
            N_("Escriba la fecha como día/mes/año, por ejemplo 14/03/1988."),
        )
    day, month, year = (int(g) for g in match.groups())
    if year < 100:
        raise InvalidDate(N_("Escriba el año con 4 cifras, por ejemplo 14/03/1988."))
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
