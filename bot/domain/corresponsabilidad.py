"""Corresponsabilidad: a household's pending conditions, their due dates and reminders (pure).

The monthly registry may list, per person, the household's children's birth dates
(`children_birth_dates`: `2021-12-20;2015-03-01`) and the conditions still to be met
(`pending_conditions`: `control_menor5:2027-01-15;matricula`), each optionally with the date by
which it is due. Where the registry gives no date, one is derived: a check-up of a child under 5
is due before the child turns 5 (the last day it counts as an under-5 check-up), and school
enrolment by the end of the household's régimen's next enrolment window
(`bot.domain.school_calendar`). A condition with neither is listed without a date and gets no
reminder. Texts (what each condition is, where to go, the steps after a suspension) live in
`bot/data/corresponsabilidad.toml`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.domain.errors import N_
from bot.domain.school_calendar import SchoolCalendar

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "corresponsabilidad.toml"
MAX_CHILDREN = 15
MAX_CONDITIONS = 10
SUSPENSION_PREFIX = "corresp_"


class Condition(StrEnum):
    """The conditions of the BDH / BDHV measured by the ministry (seed 003 lists six)."""

    CONTROL_UNDER5 = "control_menor5"
    PRENATAL = "control_prenatal"
    SEXUAL_HEALTH = "salud_sexual"
    ENROLMENT = "matricula"
    ATTENDANCE = "asistencia"
    CHILD_LABOUR = "trabajo_infantil"


class AgeBand(StrEnum):
    """The age bands the conditions depend on."""

    UNDER5 = "menor5"
    SCHOOL = "5a17"
    ADULT = "18mas"


@dataclass(frozen=True)
class PendingCondition:
    """A condition the registry lists as not met yet, with the date it gave (if any)."""

    condition: Condition
    due_on: date | None = None


@dataclass(frozen=True)
class DueCondition:
    """A pending condition with the due date that applies (given or derived)."""

    condition: Condition
    due_on: date | None
    derived: bool = False


class InvalidConditions(ValueError):
    """A `pending_conditions` or `children_birth_dates` cell that cannot be read."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # a msgid naming the problem


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(text: str) -> date:
    if not _ISO.fullmatch(text):
        raise InvalidConditions(N_("fecha no válida (use AAAA-MM-DD)"))
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidConditions(N_("fecha no válida (use AAAA-MM-DD)")) from None


def parse_pending_conditions(text: str) -> tuple[PendingCondition, ...]:
    """Reads `code[:AAAA-MM-DD];…` (order kept, repeats refused); raises `InvalidConditions`."""
    found: list[PendingCondition] = []
    for piece in (p.strip() for p in text.split(";")):
        if not piece:
            continue
        code, _, day = piece.partition(":")
        try:
            condition = Condition(code.strip().lower())
        except ValueError:
            raise InvalidConditions(N_("condición de corresponsabilidad desconocida")) from None
        if any(p.condition is condition for p in found):
            raise InvalidConditions(N_("condición repetida"))
        found.append(PendingCondition(condition, _date(day.strip()) if day.strip() else None))
    if len(found) > MAX_CONDITIONS:
        raise InvalidConditions(N_("demasiadas condiciones"))
    return tuple(found)


def format_pending_conditions(conditions: tuple[PendingCondition, ...]) -> str:
    """The canonical cell text of `conditions` (what the registry row stores)."""
    return ";".join(
        c.condition.value + (f":{c.due_on.isoformat()}" if c.due_on else "") for c in conditions
    )


def parse_birth_dates(text: str, today: date | None = None) -> tuple[date, ...]:
    """Reads `AAAA-MM-DD;…` children's birth dates, oldest first; raises `InvalidConditions`."""
    dates = [_date(p.strip()) for p in text.split(";") if p.strip()]
    if len(dates) > MAX_CHILDREN:
        raise InvalidConditions(N_("demasiadas fechas de nacimiento"))
    if today is not None and any(d > today for d in dates):
        raise InvalidConditions(N_("fecha de nacimiento en el futuro"))
    return tuple(sorted(dates))


def birthday(born: date, years: int) -> date:
    """The day a person born on `born` turns `years` (29 Feb → 1 Mar in common years)."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return date(born.year + years, 3, 1)


def age_band(born: date, today: date) -> AgeBand:
    """The age band of a child born on `born`, on `today`."""
    if today < birthday(born, 5):
        return AgeBand.UNDER5
    if today < birthday(born, 18):
        return AgeBand.SCHOOL
    return AgeBand.ADULT


def band_counts(children: tuple[date, ...], today: date) -> dict[AgeBand, int]:
    """How many children fall in each age band on `today`."""
    counts = dict.fromkeys(AgeBand, 0)
    for born in children:
        counts[age_band(born, today)] += 1
    return counts


def due_conditions(
    pending: tuple[PendingCondition, ...],
    children: tuple[date, ...],
    *,
    today: date,
    parish_code: str | None,
    calendar: SchoolCalendar,
) -> tuple[DueCondition, ...]:
    """Each pending condition with the due date that applies on `today` (given, else derived)."""
    result = []
    for item in pending:
        if item.due_on is not None:
            result.append(DueCondition(item.condition, item.due_on))
            continue
        derived: date | None = None
        if item.condition is Condition.CONTROL_UNDER5:
            # The last day the check-up counts for a child under 5: the eve of the 5th birthday.
            fifth = [birthday(b, 5) - timedelta(days=1) for b in children]
            derived = min((d for d in fifth if d >= today), default=None)
        elif item.condition is Condition.ENROLMENT:
            window = calendar.next_window(calendar.regime_of(parish_code), today)
            derived = window.enrolment_end if window is not None else None
        result.append(DueCondition(item.condition, derived, derived is not None))
    return tuple(result)


def reminder_dates(due_on: date, days_before: tuple[int, ...]) -> tuple[tuple[int, date], ...]:
    """The (days before, local date) of each reminder of a condition due on `due_on`."""
    return tuple((days, due_on - timedelta(days=days)) for days in days_before)


def suspended_condition(reason_code: str | None) -> Condition | None:
    """The condition a `corresp_*` suspension reason names, if any."""
    if not reason_code or not reason_code.startswith(SUSPENSION_PREFIX):
        return None
    try:
        return Condition(reason_code.removeprefix(SUSPENSION_PREFIX))
    except ValueError:
        return None


# --- texts ----------------------------------------------------------------------------------


class ConditionText(BaseModel):
    """Citizen texts of one condition: what it is, a short name for SMS, where to go."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    label: str = Field(min_length=1)
    short: str = Field(min_length=1, max_length=40)
    place: str = Field(min_length=1)
    first_step: str = Field(min_length=1)


class PlaceText(BaseModel):
    """Where a family goes: said in full in the chat, briefly in an SMS."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    where: str = Field(min_length=1)
    sms: str = Field(min_length=1, max_length=30)


class LadderText(BaseModel):
    """The steps after a suspension that follow the condition's own first step."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    justify: str = Field(min_length=1)
    session: str = Field(min_length=1)
    enabled: str = Field(min_length=1)


class ConditionTexts(BaseModel):
    """The whole file, checked against `Condition`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    effective_date: date
    source: str = Field(min_length=1)
    checked_on: date
    reminder_days: tuple[int, ...]
    places: dict[str, PlaceText]
    conditions: dict[Condition, ConditionText]
    ladder: LadderText

    @model_validator(mode="after")
    def _complete(self) -> Self:
        missing = [c.value for c in Condition if c not in self.conditions]
        if missing:
            raise ValueError(f"conditions without text: {missing}")
        for code, text in self.conditions.items():
            if text.place not in self.places:
                raise ValueError(f"{code}: unknown place {text.place}")
        if not self.reminder_days or any(d <= 0 for d in self.reminder_days):
            raise ValueError("reminder_days must be positive")
        return self

    def place_of(self, condition: Condition) -> PlaceText:
        """Where the family goes to meet `condition` (msgids)."""
        return self.places[self.conditions[condition].place]


def parse_texts(text: str) -> ConditionTexts:
    """Parses and validates the TOML text; raises `pydantic.ValidationError`."""
    return ConditionTexts.model_validate(tomllib.loads(text))


@cache
def load_texts() -> ConditionTexts:
    """The packaged texts, validated once per process."""
    return parse_texts(DATA_FILE.read_text("utf-8"))


@dataclass(frozen=True)
class LadderStep:
    """One step after a suspension, in order: its text (msgid)."""

    text: str


def suspension_ladder(condition: Condition | None) -> tuple[LadderStep, ...]:
    """What to do after a suspension, in order: meet the condition first, then justify, then
    the session, then re-enabling. Without a known condition the first step is skipped."""
    texts = load_texts()
    steps = []
    if condition is not None:
        steps.append(LadderStep(texts.conditions[condition].first_step))
    steps += [
        LadderStep(texts.ladder.justify),
        LadderStep(texts.ladder.session),
        LadderStep(texts.ladder.enabled),
    ]
    return tuple(steps)
