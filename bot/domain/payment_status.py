"""Why a payment did (not) arrive: status and reason explanations, and cash collection days.

Texts live in `bot/data/payment_status.toml`, validated at load so that every status and every
reason code of `bot.domain.registry` has an explanation and its steps («what to do»), each entry
with its source, date and confidence. Collection days are said as "the month's calendar", with
the base rule by the cédula's last digit only as an orientation (the calendar moves them).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.domain.registry import REASON_CODES, PaymentStatus

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


Tag = Annotated[str, Field(pattern="^[VPDU]$")]
Steps = Annotated[tuple[str, ...], Field(min_length=1)]


class Source(BaseModel):
    """Where a text's fact comes from, with its own confidence."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(min_length=1)
    title: str = Field(min_length=1)
    tag: Tag


class Sourced(BaseModel):
    """What every entry carries: its source, the date of the fact, and how sure we are."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str = Field(min_length=1)
    as_of: date
    tag: Tag


class StatusText(Sourced):
    """Citizen texts for one status; `after_reason` steps follow any reason's steps."""

    title: str = Field(min_length=1)
    explanation: str = Field(min_length=1)
    what_to_do: Steps
    after_reason: tuple[str, ...] = ()


class ReasonText(Sourced):
    """Citizen text for one reason code and what to do; suspensions also name the condition."""

    explanation: str = Field(min_length=1)
    what_to_do: Steps
    condition: str | None = None


class CollectionDayTexts(Sourced):
    """How collection days are said: the month's calendar first, the base rule as orientation."""

    calendar: Steps
    orientation: str = Field(min_length=1)
    may_change: str = Field(min_length=1)
    ask: str = Field(min_length=1)


class PaymentStatusTexts(BaseModel):
    """The whole file, checked against the registry's vocabulary and its own sources."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    effective_date: date
    sources: tuple[Source, ...] = Field(min_length=1)
    collection_days: CollectionDayTexts
    statuses: dict[PaymentStatus, StatusText]
    reasons: dict[str, ReasonText]

    @model_validator(mode="after")
    def _complete(self) -> Self:
        missing = [s.value for s in PaymentStatus if s not in self.statuses]
        if missing:
            raise ValueError(f"statuses without text: {missing}")
        known = {code for codes in REASON_CODES.values() for code in codes}
        if set(self.reasons) - known:
            raise ValueError(f"unknown reason codes: {sorted(set(self.reasons) - known)}")
        if known - set(self.reasons):
            raise ValueError(f"reason codes without text: {sorted(known - set(self.reasons))}")
        for code in REASON_CODES[PaymentStatus.SUSPENDED]:
            if not self.reasons[code].condition:
                raise ValueError(f"suspension reason {code} needs its condition")
        codes = {s.code for s in self.sources}
        entries: list[tuple[str, Sourced]] = [("collection_days", self.collection_days)]
        entries += [(f"statuses.{k.value}", v) for k, v in self.statuses.items()]
        entries += [(f"reasons.{k}", v) for k, v in self.reasons.items()]
        unknown = [where for where, entry in entries if entry.source not in codes]
        if unknown:
            raise ValueError(f"entries citing an unknown source: {unknown}")
        return self

    def source_title(self, code: str) -> str:
        """The title of the source with `code`."""
        return next(s.title for s in self.sources if s.code == code)


def parse_texts(text: str) -> PaymentStatusTexts:
    """Parses and validates the TOML text of the file; raises `pydantic.ValidationError`."""
    return PaymentStatusTexts.model_validate(tomllib.loads(text))


@cache
def load_texts() -> PaymentStatusTexts:
    """The packaged texts, validated once per process."""
    return parse_texts((DATA_DIR / "payment_status.toml").read_text("utf-8"))


@dataclass(frozen=True)
class Explanation:
    """What to tell the citizen about one status (+ reason): Spanish msgids.

    `steps` are in the order the citizen should take them: the reason's own (or the status's
    when the registry gives no known reason), then the status's `after_reason` (for a suspension:
    justify, then the sensibilización session). `unconfirmed` is true when the reason (or, with
    none, the status) rests on no public source (tag U): the citizen is told so.
    """

    status: PaymentStatus
    title: str
    explanation: str
    reason: str | None
    condition: str | None
    steps: tuple[str, ...]
    unconfirmed: bool


def explain(status: str, reason_code: str | None) -> Explanation:
    """Looks up the texts for a registry status and reason (unknown reasons are ignored)."""
    texts = load_texts()
    parsed = PaymentStatus(status)
    entry = texts.statuses[parsed]
    reason = texts.reasons.get(reason_code or "")
    if reason_code not in REASON_CODES[parsed]:
        reason = None  # a code of another status says nothing true about this one
    first = reason.what_to_do if reason else entry.what_to_do
    return Explanation(
        status=parsed,
        title=entry.title,
        explanation=entry.explanation,
        reason=reason.explanation if reason else None,
        condition=reason.condition if reason else None,
        steps=(*first, *entry.after_reason),
        unconfirmed=(reason or entry).tag == "U",
    )


@dataclass(frozen=True)
class ReasonCoverage:
    """How many reason texts rest on a public source, and how many are still unconfirmed (U)."""

    reasons: int
    sourced: int
    unconfirmed: tuple[str, ...]


def reason_coverage(texts: PaymentStatusTexts) -> ReasonCoverage:
    """Reasons whose source is public (V, P or D) versus those tagged U, for `data check`."""
    unconfirmed = tuple(code for code, reason in texts.reasons.items() if reason.tag == "U")
    return ReasonCoverage(len(texts.reasons), len(texts.reasons) - len(unconfirmed), unconfirmed)


def collection_days(last_digit: int) -> tuple[int, ...]:
    """Cash collection days of the month for a cédula ending in `last_digit`.

    Digit d collects on days d, d+10, d+20 (and 31 for digit 1); digit 0 on 10, 20 and 30.
    This is the base rule only: each month's calendar moves the days, so it is an orientation.
    """
    if not 0 <= last_digit <= 9:
        raise ValueError("a digit is 0–9")
    if last_digit == 0:
        return (10, 20, 30)
    days = (last_digit, last_digit + 10, last_digit + 20)
    return (*days, 31) if last_digit == 1 else days
