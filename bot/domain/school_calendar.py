"""School calendars as data: each régimen's enrolment window per school year (pure).

A household's school condition (enrolment) is due by the end of its régimen's next enrolment
window; the régimen comes from the parish's province (Costa-Galápagos provinces listed in
`bot/data/school_calendar.toml`, every other province Sierra-Amazonía). Dates carry their source
and confidence: uncertain ones are estimates that staff replace with the Ministry of Education's
schedule.
"""

from __future__ import annotations

import tomllib
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "school_calendar.toml"
Regime = Literal["sierra_amazonia", "costa_galapagos"]
SIERRA: Regime = "sierra_amazonia"
COSTA: Regime = "costa_galapagos"


class RegimeInfo(BaseModel):
    """A régimen's name as citizens read it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    label: str = Field(min_length=1)


class EnrolmentWindow(BaseModel):
    """The enrolment window of one régimen for one school year, with its source."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    regime: Regime
    school_year: str = Field(pattern=r"^\d{4}-\d{4}$")
    enrolment_start: date
    enrolment_end: date
    classes_start: date
    confidence: Literal["V", "P", "D", "U"]
    source: str = Field(min_length=1)


class SchoolCalendar(BaseModel):
    """The whole file, checked: windows in order, both régimens named."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    checked_on: date
    source: str = Field(min_length=1)
    costa_provinces: tuple[str, ...]
    costa_cantons: tuple[str, ...] = ()
    regimes: dict[Regime, RegimeInfo]
    windows: tuple[EnrolmentWindow, ...]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if set(self.regimes) != {SIERRA, COSTA}:
            raise ValueError("both régimens need a label")
        for window in self.windows:
            if not window.enrolment_start <= window.enrolment_end <= window.classes_start:
                raise ValueError(f"window {window.regime} {window.school_year} out of order")
        return self

    def regime_of(self, parish_code: str | None) -> Regime:
        """The régimen a parish follows (Sierra-Amazonía when the parish is unknown)."""
        code = parish_code or ""
        if code[:4] in self.costa_cantons or code[:2] in self.costa_provinces:
            return COSTA
        return SIERRA

    def next_window(self, regime: str, today: date) -> EnrolmentWindow | None:
        """The régimen's enrolment window that has not ended yet on `today`, soonest first."""
        ahead = [w for w in self.windows if w.regime == regime and w.enrolment_end >= today]
        return min(ahead, key=lambda w: w.enrolment_end, default=None)


def parse_calendar(text: str) -> SchoolCalendar:
    """Parses and validates the TOML text; raises `pydantic.ValidationError`."""
    return SchoolCalendar.model_validate(tomllib.loads(text))


@cache
def load_calendar() -> SchoolCalendar:
    """The packaged calendar, validated once per process."""
    return parse_calendar(DATA_FILE.read_text("utf-8"))
