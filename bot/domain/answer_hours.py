"""When people answer the staff inbox: the weekly hours, and the next time someone is there.

Hours are a setting (`HANDOFF_HOURS`, e.g. "lun-vie 08:00-16:30"): the team that answers the
inbox decides them, no public source gives the offices' hours. A citizen who asks for a person
outside them is told when to expect an answer instead of waiting in silence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

DAY_NAMES = ("lun", "mar", "mie", "jue", "vie", "sab", "dom")
_SPEC = re.compile(
    r"^\s*(?P<first>[a-z]{3})(?:\s*-\s*(?P<last>[a-z]{3}))?\s+"
    r"(?P<opens>\d{1,2}:\d{2})\s*-\s*(?P<closes>\d{1,2}:\d{2})\s*$"
)


@dataclass(frozen=True)
class AnswerHours:
    """Days of the week (0 = Monday) and the local opening and closing times."""

    days: frozenset[int]
    opens: time
    closes: time

    @classmethod
    def parse(cls, spec: str) -> AnswerHours:
        """Reads "lun-vie 08:00-16:30" (accents and case do not matter); raises ValueError."""
        folded = spec.lower().replace("é", "e").replace("á", "a")
        match = _SPEC.match(folded)
        if match is None:
            raise ValueError(f"hours must look like 'lun-vie 08:00-16:30', not {spec!r}")
        first = DAY_NAMES.index(match["first"]) if match["first"] in DAY_NAMES else -1
        last_name = match["last"] or match["first"]
        last = DAY_NAMES.index(last_name) if last_name in DAY_NAMES else -1
        if first < 0 or last < 0:
            raise ValueError(f"unknown day in {spec!r}: use {', '.join(DAY_NAMES)}")
        days = (
            frozenset(range(first, last + 1))
            if first <= last
            else frozenset([*range(first, 7), *range(0, last + 1)])
        )
        opens, closes = (
            time.fromisoformat(match["opens"].zfill(5)),
            time.fromisoformat(match["closes"].zfill(5)),
        )
        if closes <= opens:
            raise ValueError(f"closing time must be after opening time in {spec!r}")
        return cls(days, opens, closes)

    def is_open(self, local: datetime) -> bool:
        """Whether someone answers at this local time."""
        return local.weekday() in self.days and self.opens <= local.time() < self.closes

    def next_opening(self, local: datetime) -> datetime:
        """The next local time the inbox opens (`local` itself when it is open now)."""
        if self.is_open(local):
            return local
        for ahead in range(8):
            day = (local + timedelta(days=ahead)).date()
            start = datetime.combine(day, self.opens, tzinfo=local.tzinfo)
            if day.weekday() in self.days and start > local:
                return start
        raise ValueError("no opening day")  # unreachable: parse() requires at least one day
