"""Why a payment did (not) arrive: status and reason explanations, and cash collection days.

Texts live in `bot/data/payment_status.toml`, validated at load so that every status and every
reason code of `bot.domain.registry` has an explanation and a «what to do».
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.domain.registry import REASON_CODES, PaymentStatus

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


class StatusText(BaseModel):
    """Citizen texts for one status."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str = Field(min_length=1)
    explanation: str = Field(min_length=1)
    what_to_do: str = Field(min_length=1)


class ReasonText(BaseModel):
    """Citizen text for one reason code; suspensions also name the missing condition."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    explanation: str = Field(min_length=1)
    condition: str | None = None


class PaymentStatusTexts(BaseModel):
    """The whole file, checked against the registry's vocabulary."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    effective_date: date
    source: str = Field(min_length=1)
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
        return self


def parse_texts(text: str) -> PaymentStatusTexts:
    """Parses and validates the TOML text of the file; raises `pydantic.ValidationError`."""
    return PaymentStatusTexts.model_validate(tomllib.loads(text))


@cache
def load_texts() -> PaymentStatusTexts:
    """The packaged texts, validated once per process."""
    return parse_texts((DATA_DIR / "payment_status.toml").read_text("utf-8"))


@dataclass(frozen=True)
class Explanation:
    """What to tell the citizen about one status (+ reason): Spanish msgids."""

    status: PaymentStatus
    title: str
    explanation: str
    reason: str | None
    condition: str | None
    what_to_do: str


def explain(status: str, reason_code: str | None) -> Explanation:
    """Looks up the texts for a registry status and reason (unknown reasons are ignored)."""
    texts = load_texts()
    parsed = PaymentStatus(status)
    entry = texts.statuses[parsed]
    reason = texts.reasons.get(reason_code or "")
    return Explanation(
        status=parsed,
        title=entry.title,
        explanation=entry.explanation,
        reason=reason.explanation if reason else None,
        condition=reason.condition if reason else None,
        what_to_do=entry.what_to_do,
    )


def collection_days(last_digit: int) -> tuple[int, ...]:
    """Cash collection days of the month for a cédula ending in `last_digit`.

    Digit d collects on days d, d+10, d+20 (and 31 for digit 1); digit 0 on 10, 20 and 30.
    """
    if not 0 <= last_digit <= 9:
        raise ValueError("a digit is 0–9")
    if last_digit == 0:
        return (10, 20, 30)
    days = (last_digit, last_digit + 10, last_digit + 20)
    return (*days, 31) if last_digit == 1 else days
