"""Event scheduling rules: a kind typed, the date and time staff type, reminder offsets (pure).

Staff type a local date and time ("15/12/2026 10:00", "mañana 9h30"); it is read in the parish's
timezone (Galápagos is an hour behind the mainland) and must be a real moment in the future.
Reminder offsets are how long before the event each announcement goes out ("7 días, 1 día",
"2 horas"); whole days are sent at a fixed local hour by the scheduler.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.errors import N_, DomainError
from bot.domain.event_kinds import EVENT_KIND_LABELS
from bot.domain.text import fold

DEFAULT_OFFSETS_MINUTES = (7 * 1440, 1440)  # 7 days and 1 day before
MAX_OFFSETS = 5
MAX_OFFSET_MINUTES = 30 * 1440
MAX_AHEAD = timedelta(days=366)

_DATE_TIME = re.compile(
    r"^\s*(?P<day>\d{1,2})\s*[/\-.]\s*(?P<month>\d{1,2})\s*[/\-.]\s*(?P<year>\d{2,4})"
    r"(?:\s*(?:,|a\s+las|a\s+la|desde\s+las)?\s*(?P<time>.+?))?\s*$"
)
_ISO = re.compile(
    r"^\s*(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?:[ T](?P<time>.+?))?\s*$"
)
_RELATIVE = re.compile(
    r"^\s*(?P<word>pasado\s+manana|manana|hoy|ayer|anteayer|antier)"
    r"(?:\s*(?:,|a\s+las|a\s+la)?\s*(?P<time>.+?))?\s*$"
)
_TIME = re.compile(
    r"^(?P<hour>\d{1,2})(?:\s*(?::|h|\.)\s*(?P<minute>\d{2})?)?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?$"
)
_OFFSET = re.compile(
    r"^(?P<n>\d{1,3})\s*(?P<unit>d|dia|dias|h|hora|horas|min|minuto|minutos|semana|semanas)?$"
)


class InvalidEventTime(DomainError):
    """A date or time for an event that is malformed, impossible, past or too far away."""


class InvalidOffsets(DomainError):
    """A reminder list that cannot be read or asks for impossible reminders."""


def kind_from_text(text: str) -> str | None:
    """The event kind a staff member typed ("brigada", "Feria", "dialogo"…), if recognisable."""
    key = fold(text).strip()
    if not key:
        return None
    for kind, label in EVENT_KIND_LABELS.items():
        if key in (kind, fold(label)) or (fold(label).startswith(key) and len(key) >= 4):
            return kind
    return None


def _parse_time(text: str | None) -> time:
    if not text:
        raise InvalidEventTime(
            N_("Falta la hora. Escriba fecha y hora, por ejemplo 15/12/2026 10:00.")
        )
    match = _TIME.match(fold(text).replace(" horas", "").replace("hrs", "").strip())
    if match is None:
        raise InvalidEventTime(
            N_("No entendí la hora «{text}». Escríbala como 10:00 o 15h30."), text=text.strip()
        )
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    ampm = (match["ampm"] or "").replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            raise InvalidEventTime(
                N_("La hora {text} no existe. Escríbala como 10:00 o 15h30."), text=text.strip()
            )
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59:
        raise InvalidEventTime(
            N_("La hora {text} no existe: va de 00:00 a 23:59."), text=text.strip()
        )
    return time(hour, minute)


def _real_date(day: int, month: int, year: int) -> date:
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        raise InvalidEventTime(N_("El mes va de 1 a 12; usted escribió {month}."), month=month)
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise InvalidEventTime(
            N_("La fecha {day:02d}/{month:02d}/{year} no existe: ese mes tiene {last} días."),
            day=day,
            month=month,
            year=year,
            last=last,
        )
    return date(year, month, day)


def parse_event_start(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    """Reads a local date and time in `zone`; returns it as aware UTC, or raises why not.

    Accepts 'dd/mm/aaaa hh:mm' (also with - or ., '10h30', '3 pm'), ISO 'aaaa-mm-dd hh:mm',
    and 'hoy' / 'mañana' / 'pasado mañana' followed by a time. The moment must be in the future
    and within a year.
    """
    folded = fold(text or "").strip()
    today = now.astimezone(zone).date()
    relative = _RELATIVE.match(folded)
    if relative:
        word = " ".join(relative["word"].split())
        if word in ("ayer", "anteayer", "antier"):
            raise InvalidEventTime(
                N_(
                    "«{word}» ya pasó: el evento debe ser en el futuro. Escriba fecha y hora, "
                    "por ejemplo 15/12/2026 10:00."
                ),
                word=text.strip().split()[0],
            )
        shift = {"hoy": 0, "manana": 1, "pasado manana": 2}[word]
        day = today + timedelta(days=shift)
        clock = _parse_time(relative["time"])
    else:
        match = _DATE_TIME.match(folded) or _ISO.match(folded)
        if match is None:
            raise InvalidEventTime(
                N_(
                    "No entendí la fecha. Escriba día/mes/año y hora, por ejemplo "
                    "15/12/2026 10:00 (o «mañana 9:30»)."
                )
            )
        day = _real_date(int(match["day"]), int(match["month"]), int(match["year"]))
        clock = _parse_time(match["time"])
    local = datetime.combine(day, clock, zone)
    starts_at = local.astimezone(ZoneInfo("UTC"))
    if starts_at <= now:
        raise InvalidEventTime(
            N_(
                "El {when} ya pasó (ahora son las {now} en la parroquia). El evento debe ser en "
                "el futuro."
            ),
            when=local.strftime("%d/%m/%Y %H:%M"),
            now=now.astimezone(zone).strftime("%d/%m/%Y %H:%M"),
        )
    if starts_at - now > MAX_AHEAD:
        raise InvalidEventTime(
            N_("Esa fecha está a más de un año. Programe eventos de los próximos 12 meses.")
        )
    return starts_at


def parse_offsets(text: str) -> tuple[int, ...]:
    """Reads offsets ('7 días, 1 día', '3d 2h', '7, 1' = days) as minutes, largest first."""
    folded = fold(text or "").replace(" y ", ",").replace(";", ",")
    parts = [p.strip() for chunk in folded.split(",") for p in _split_units(chunk)]
    parts = [p for p in parts if p]
    if not parts:
        raise InvalidOffsets(
            N_("Escriba cuándo avisar, por ejemplo «7 días, 1 día» o «3 días, 2 horas».")
        )
    minutes: set[int] = set()
    for part in parts:
        match = _OFFSET.match(part)
        if match is None:
            raise InvalidOffsets(
                N_(
                    "No entendí «{part}». Escriba cuándo avisar, por ejemplo «7 días, 1 día» o "
                    "«2 horas»."
                ),
                part=part,
            )
        n = int(match["n"])
        unit = match["unit"] or "d"
        factor = 60 if unit.startswith("h") else 1 if unit.startswith("min") else 1440
        if unit.startswith("semana"):
            factor = 7 * 1440
        value = n * factor
        if value <= 0:
            raise InvalidOffsets(N_("Un aviso debe ir antes del evento, no en el mismo momento."))
        if value > MAX_OFFSET_MINUTES:
            raise InvalidOffsets(N_("Los avisos pueden ir hasta 30 días antes del evento."))
        minutes.add(value)
    if len(minutes) > MAX_OFFSETS:
        raise InvalidOffsets(N_("Son demasiados avisos; elija hasta {limit}."), limit=MAX_OFFSETS)
    return tuple(sorted(minutes, reverse=True))


def _split_units(chunk: str) -> list[str]:
    """Splits '3 dias 2 horas' into ['3 dias', '2 horas'] (a number starts a new part)."""
    tokens = chunk.split()
    parts: list[str] = []
    for token in tokens:
        if token[0].isdigit() or not parts:
            parts.append(token)
        else:
            parts[-1] += " " + token
    return [re.sub(r"^(\d+)\s*([a-z])", r"\1 \2", p) for p in parts]


def offset_label(minutes: int) -> tuple[str, int]:
    """The unit template and count for one offset ('{n} día(s) antes' style), largest unit."""
    if minutes % 1440 == 0:
        return "days", minutes // 1440
    if minutes % 60 == 0:
        return "hours", minutes // 60
    return "minutes", minutes
