"""Quiet hours in the recipient's local time: SMS due at night wait for the morning (pure).

Galápagos (province 20) is on UTC−6, the mainland on UTC−5; `notificaciones.time_zones` finds
the zone of a parish or phone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def is_quiet(local: time, start: time, end: time) -> bool:
    """True when a local wall-clock time falls in the quiet window [start, end)."""
    if start == end:
        return False
    if start > end:  # the window crosses midnight, e.g. 20:00–07:00
        return local >= start or local < end
    return start <= local < end


def next_allowed(moment: datetime, zone: ZoneInfo, start: time, end: time) -> datetime:
    """Returns `moment` if it is outside quiet hours in `zone`, else the end of the quiet window."""
    local = moment.astimezone(zone)
    if not is_quiet(local.timetz().replace(tzinfo=None), start, end):
        return moment
    day = local.date()
    if start > end and local.time() >= start:
        day += timedelta(days=1)
    return datetime.combine(day, end, zone).astimezone(moment.tzinfo)


def zones_quiet_now(moment: datetime, zones: Iterable[ZoneInfo], start: time, end: time) -> bool:
    """True when it is quiet time in any of `zones` (cheap check before per-phone lookups)."""
    return any(is_quiet(moment.astimezone(zone).time(), start, end) for zone in zones)
