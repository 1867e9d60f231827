"""Técnicos de acompañamiento familiar: their parishes and families, visits, «informed in person».

A technician (`Role.TECHNICIAN`) belongs to one district, like a district analyst, and may act
only on what is assigned to them in `technician_assignments`: a whole parish, or single families
of it (about 120 families each, seed 003). District, zonal and national staff act on every
family of their territory. Every refusal is audited like the other staff refusals
(`bot.services.authz`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import N_, DomainError
from bot.domain.staff import Role, StaffScope
from bot.services import reminder_consents
from bot.services.audit import record
from bot.services.authz import Action, PermissionDenied, authorize
from bot.services.corresponsabilidad import ConditionView, household_conditions
from bot.services.dialogues import district_of_parish
from bot.storage.models import (
    Beneficiary,
    HomeVisit,
    InPersonNotice,
    Parish,
    ReminderConsent,
    Staff,
    TechnicianAssignment,
)
from notificaciones.condition_reminders import withdraw_visit_reminders

# Due dates are local calendar dates; the mainland's zone is close enough to pick "today".
LOCAL = ZoneInfo("America/Guayaquil")
IN_PERSON_TOPICS = ("evento", "compromiso", "condicion", "visita", "general")
MAX_VISIT_WINDOW = timedelta(hours=8)
_NOT_ASSIGNED = N_(
    "Disculpe, la parroquia o la familia no está asignada a usted. Pida la asignación a su "
    "dirección distrital."
)
_NOT_A_TECHNICIAN = N_("La cuenta {id} no es de un técnico de acompañamiento familiar.")


class TechnicianError(DomainError):
    """A technician's request that cannot be done as asked."""


@dataclass(frozen=True)
class Assigned:
    """What a scope may see in one parish: every family (None) or these cédulas."""

    parish_code: str
    cedulas: frozenset[str] | None


@dataclass(frozen=True)
class FamilyRow:
    """One family on a technician's list: who, what is pending, the next visit."""

    cedula: str
    names: str
    parish_code: str
    conditions: tuple[ConditionView, ...]
    suspended: bool
    next_visit: HomeVisit | None
    informed_at: datetime | None


async def assignments_of(session: AsyncSession, staff_id: int) -> dict[str, Assigned]:
    """The parishes assigned to a technician, each whole or with its assigned families."""
    rows = await session.execute(
        select(TechnicianAssignment.parish_code, TechnicianAssignment.cedula).where(
            TechnicianAssignment.staff_id == staff_id
        )
    )
    whole: set[str] = set()
    families: dict[str, set[str]] = {}
    for parish, cedula in rows.all():
        if cedula is None:
            whole.add(parish)
        else:
            families.setdefault(parish, set()).add(cedula)
    result = {p: Assigned(p, None) for p in whole}
    for parish, cedulas in families.items():
        result.setdefault(parish, Assigned(parish, frozenset(cedulas)))
    return result


async def _deny(
    session: AsyncSession, scope: StaffScope, action: Action, target: str, now: datetime
) -> PermissionDenied:
    await record(
        session,
        at=now,
        actor_kind="staff",
        actor=f"staff:{scope.staff_id}",
        action="staff.denied",
        target=target,
        outcome="assignment",
        detail={"action": action.value, "role": scope.role.value},
    )
    return PermissionDenied(_NOT_ASSIGNED, "assignment")


async def authorize_parish(
    session: AsyncSession,
    scope: StaffScope | None,
    action: Action,
    parish_code: str,
    now: datetime,
) -> tuple[StaffScope, Assigned]:
    """Allows `action` in a parish: its district in scope and, for a technician, assigned."""
    district = await district_of_parish(session, parish_code)
    allowed = await authorize(session, scope, action, now=now, district_code=district)
    if allowed.role is not Role.TECHNICIAN:
        return allowed, Assigned(parish_code, None)
    assigned = (await assignments_of(session, allowed.staff_id)).get(parish_code)
    if assigned is None:
        raise await _deny(session, allowed, action, parish_code, now)
    return allowed, assigned


async def _family_parish(session: AsyncSession, cedula: str) -> str:
    parish = await session.scalar(
        select(Beneficiary.parish_code)
        .where(Beneficiary.cedula == cedula, Beneficiary.parish_code.is_not(None))
        .order_by(Beneficiary.id)
        .limit(1)
    )
    if parish is None:
        raise TechnicianError(N_("Esa cédula no consta en el registro con una parroquia."))
    return parish


async def authorize_family(
    session: AsyncSession, scope: StaffScope | None, action: Action, cedula: str, now: datetime
) -> tuple[StaffScope, str]:
    """Allows `action` on one family (by the registry's cédula); returns the scope and parish."""
    parish = await _family_parish(session, cedula)
    allowed, assigned = await authorize_parish(session, scope, action, parish, now)
    if assigned.cedulas is not None and cedula not in assigned.cedulas:
        raise await _deny(session, allowed, action, parish, now)
    return allowed, parish


async def assign(
    session: AsyncSession,
    scope: StaffScope | None,
    *,
    technician_id: int,
    parish_code: str,
    cedula: str | None = None,
    now: datetime,
) -> TechnicianAssignment:
    """Assigns a parish (or one family of it) to a technician of the parish's district."""
    district = await district_of_parish(session, parish_code)
    allowed = await authorize(
        session, scope, Action.ASSIGN_FAMILIES, now=now, district_code=district
    )
    technician = await session.get(Staff, technician_id)
    if technician is None or technician.role != Role.TECHNICIAN.value:
        raise TechnicianError(_NOT_A_TECHNICIAN, id=technician_id)
    if technician.district_code != district:
        raise TechnicianError(
            N_("El técnico {id} es del distrito {own}; la parroquia es del distrito {other}."),
            id=technician_id,
            own=technician.district_code or "-",
            other=district or "-",
        )
    existing = await session.scalar(
        select(TechnicianAssignment).where(
            TechnicianAssignment.staff_id == technician_id,
            TechnicianAssignment.parish_code == parish_code,
            TechnicianAssignment.cedula.is_(None)
            if cedula is None
            else TechnicianAssignment.cedula == cedula,
        )
    )
    if existing is not None:
        return existing
    row = TechnicianAssignment(
        staff_id=technician_id, parish_code=parish_code, cedula=cedula, created_at=now
    )
    session.add(row)
    await session.flush()
    await record(
        session,
        at=now,
        actor_kind="staff",
        actor=f"staff:{allowed.staff_id}",
        action="technician.assigned",
        target=parish_code,
        outcome="family" if cedula else "parish",
        detail={"technician": technician_id},
    )
    return row


async def families(
    session: AsyncSession,
    scope: StaffScope | None,
    parish_code: str,
    *,
    now: datetime,
    action: Action = Action.VIEW_FAMILIES,
    today: date | None = None,
) -> list[FamilyRow]:
    """The parish's families to accompany: pending conditions, a suspension, a planned visit.

    A technician assigned single families sees those (whatever they have pending).
    """
    _allowed, assigned = await authorize_parish(session, scope, action, parish_code, now)
    query = select(Beneficiary).where(Beneficiary.parish_code == parish_code)
    if assigned.cedulas is not None:
        query = query.where(Beneficiary.cedula.in_(sorted(assigned.cedulas)))
    rows = list(await session.scalars(query.order_by(Beneficiary.names, Beneficiary.id)))
    by_cedula: dict[str, list[Beneficiary]] = {}
    for row in rows:
        by_cedula.setdefault(row.cedula, []).append(row)
    visits = await _next_visits(session, list(by_cedula), now)
    informed = await _last_informed(session, list(by_cedula))
    today = today or now.astimezone(LOCAL).date()
    result = []
    for cedula, records in by_cedula.items():
        household = household_conditions(records, today)
        visit = visits.get(cedula)
        keep = assigned.cedulas is not None or household.conditions or household.suspended
        if not keep and visit is None:
            continue
        result.append(
            FamilyRow(
                cedula=cedula,
                names=records[0].names,
                parish_code=parish_code,
                conditions=household.conditions,
                suspended=household.suspended,
                next_visit=visit,
                informed_at=informed.get(cedula),
            )
        )
    return result


async def _next_visits(
    session: AsyncSession, cedulas: Sequence[str], now: datetime
) -> dict[str, HomeVisit]:
    found: dict[str, HomeVisit] = {}
    for start in range(0, len(cedulas), 500):
        chunk = list(cedulas[start : start + 500])
        visits = await session.scalars(
            select(HomeVisit)
            .where(
                HomeVisit.cedula.in_(chunk),
                HomeVisit.cancelled_at.is_(None),
                HomeVisit.window_end >= now,
            )
            .order_by(HomeVisit.window_start)
        )
        for visit in visits:
            found.setdefault(visit.cedula, visit)
    return found


async def _last_informed(session: AsyncSession, cedulas: Sequence[str]) -> dict[str, datetime]:
    found: dict[str, datetime] = {}
    for start in range(0, len(cedulas), 500):
        chunk = list(cedulas[start : start + 500])
        rows = await session.execute(
            select(InPersonNotice.cedula, func.max(InPersonNotice.informed_at))
            .where(InPersonNotice.cedula.in_(chunk))
            .group_by(InPersonNotice.cedula)
        )
        found.update({cedula: at for cedula, at in rows.all() if at is not None})
    return found


async def record_informed(
    session: AsyncSession,
    scope: StaffScope | None,
    *,
    cedula: str,
    topic: str,
    now: datetime,
    ref: str | None = None,
) -> InPersonNotice:
    """Records that a technician informed a family in person (counted beside SMS, Telegram)."""
    if topic not in IN_PERSON_TOPICS:
        raise TechnicianError(N_("Tema desconocido: {topic}."), topic=topic)
    allowed, parish = await authorize_family(session, scope, Action.RECORD_IN_PERSON, cedula, now)
    notice = InPersonNotice(
        cedula=cedula,
        parish_code=parish,
        staff_id=allowed.staff_id or None,
        topic=topic,
        ref=(ref or None) and ref[:40],
        informed_at=now,
    )
    session.add(notice)
    await session.flush()
    await record(
        session,
        at=now,
        actor_kind="staff",
        actor=f"staff:{allowed.staff_id}",
        action="family.informed_in_person",
        target=parish,
        outcome=topic,
    )
    return notice


async def plan_visit(
    session: AsyncSession,
    scope: StaffScope | None,
    *,
    cedula: str,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
) -> HomeVisit:
    """Plans a home visit (only its time window is kept and told to the family)."""
    allowed, parish = await authorize_family(session, scope, Action.PLAN_VISIT, cedula, now)
    if window_start.tzinfo is None or window_start <= now:
        raise TechnicianError(N_("La visita debe ser en el futuro."))
    if not window_start < window_end <= window_start + MAX_VISIT_WINDOW:
        raise TechnicianError(N_("La franja de la visita debe durar entre unos minutos y 8 horas."))
    visit = HomeVisit(
        cedula=cedula,
        parish_code=parish,
        staff_id=allowed.staff_id or None,
        window_start=window_start,
        window_end=window_end,
        cancelled_at=None,
        created_at=now,
    )
    session.add(visit)
    await session.flush()
    await record(
        session,
        at=now,
        actor_kind="staff",
        actor=f"staff:{allowed.staff_id}",
        action="home_visit.planned",
        target=f"visit:{visit.id}",
        outcome="ok",
    )
    return visit


async def cancel_visit(
    session: AsyncSession, scope: StaffScope | None, visit_id: int, *, now: datetime
) -> HomeVisit:
    """Cancels a planned visit and withdraws its queued reminder."""
    visit = await session.get(HomeVisit, visit_id)
    if visit is None:
        raise TechnicianError(N_("No existe la visita {id}."), id=visit_id)
    await authorize_family(session, scope, Action.PLAN_VISIT, visit.cedula, now)
    visit.cancelled_at = now
    await withdraw_visit_reminders(session, visit.id, now)
    return visit


async def record_consent(
    session: AsyncSession,
    scope: StaffScope | None,
    *,
    cedula: str,
    topic: str,
    now: datetime,
) -> ReminderConsent:
    """Records, in person, a family's consent to SMS reminders at the registry's phone."""
    allowed, _parish = await authorize_family(session, scope, Action.RECORD_IN_PERSON, cedula, now)
    mobile = await session.scalar(
        select(Beneficiary.mobile)
        .where(Beneficiary.cedula == cedula, Beneficiary.mobile.is_not(None))
        .order_by(Beneficiary.id)
        .limit(1)
    )
    if mobile is None:
        raise TechnicianError(N_("El registro no tiene un celular para esa familia."))
    return await reminder_consents.give(
        session,
        cedula=cedula,
        topic=topic,
        channel="sms",
        address=mobile,
        now=now,
        staff_id=allowed.staff_id or None,
    )


async def parish_names(session: AsyncSession, codes: Sequence[str]) -> dict[str, str]:
    """Parish names by code."""
    if not codes:
        return {}
    rows = await session.execute(
        select(Parish.code, Parish.name).where(Parish.code.in_(sorted(set(codes))))
    )
    return {str(code): str(name) for code, name in rows.all()}
