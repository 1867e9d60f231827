"""What a household still has to meet, where to go, and the next session in its parish.

Read after the citizen proved who they are (`bot.services.verification`): the registry rows
of the cédula give the pending conditions and the children's birth dates; due dates come from
the registry or are derived (`bot.domain.corresponsabilidad.due_conditions`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.corresponsabilidad import (
    AgeBand,
    Condition,
    InvalidConditions,
    LadderStep,
    PendingCondition,
    band_counts,
    due_conditions,
    load_texts,
    parse_birth_dates,
    parse_pending_conditions,
    suspended_condition,
    suspension_ladder,
)
from bot.domain.registry import PaymentStatus
from bot.domain.school_calendar import load_calendar
from bot.storage.models import Beneficiary, Event

SESSION_KINDS = ("sensibilizacion",)


@dataclass(frozen=True)
class ConditionView:
    """One pending condition as the citizen reads it (msgids) with its due date."""

    condition: Condition
    label: str
    where: str
    due_on: date | None
    derived: bool


@dataclass(frozen=True)
class HouseholdConditions:
    """A household's pending conditions, its suspension (if any) and its children's ages."""

    parish_code: str | None
    conditions: tuple[ConditionView, ...]
    suspended: bool
    suspended_for: Condition | None
    children: dict[AgeBand, int]
    regime_label: str

    def ladder(self) -> tuple[LadderStep, ...]:
        """The steps after the suspension, in order (empty when not suspended)."""
        return suspension_ladder(self.suspended_for) if self.suspended else ()


def household_conditions(records: Sequence[Beneficiary], today: date) -> HouseholdConditions:
    """The household's view from its registry rows (the first row holding each value wins)."""
    texts = load_texts()
    calendar = load_calendar()
    parish = next((r.parish_code for r in records if r.parish_code), None)
    pending_text = next((r.pending_conditions for r in records if r.pending_conditions), "")
    children_text = next((r.children_birth_dates for r in records if r.children_birth_dates), "")
    try:
        pending = parse_pending_conditions(pending_text or "")
        children = parse_birth_dates(children_text or "")
    except InvalidConditions:
        pending, children = (), ()
    suspended_rows = [r for r in records if r.status == PaymentStatus.SUSPENDED.value]
    suspended_for = next(
        (c for r in suspended_rows if (c := suspended_condition(r.reason_code)) is not None), None
    )
    if suspended_for is not None and all(p.condition is not suspended_for for p in pending):
        # The suspension names a condition the pending list lacks: it is pending too.
        pending = (PendingCondition(suspended_for), *pending)
    dues = due_conditions(pending, children, today=today, parish_code=parish, calendar=calendar)
    views = tuple(
        ConditionView(
            d.condition,
            texts.conditions[d.condition].label,
            texts.place_of(d.condition).where,
            d.due_on,
            d.derived,
        )
        for d in sorted(dues, key=lambda d: (d.due_on is None, d.due_on or date.max))
    )
    return HouseholdConditions(
        parish_code=parish,
        conditions=views,
        suspended=bool(suspended_rows),
        suspended_for=suspended_for,
        children=band_counts(children, today),
        regime_label=calendar.regimes[calendar.regime_of(parish)].label,
    )


async def next_session(session: AsyncSession, parish_code: str, now: datetime) -> Event | None:
    """The next sensibilización session planned in the parish (not cancelled), if any."""
    return await session.scalar(
        select(Event)
        .where(
            Event.parish_code == parish_code,
            Event.kind.in_(SESSION_KINDS),
            Event.starts_at >= now,
            Event.cancelled_at.is_(None),
        )
        .order_by(Event.starts_at)
        .limit(1)
    )
