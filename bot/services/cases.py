"""Follow-up cases for district directorates: opening them with a citizen-facing number."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Case

CASE_KINDS = ("excluido", "verificacion")
CASE_STATUSES = ("nuevo", "en_verificacion", "incluido", "no_califica", "no_localizado")
DEFAULT_DUE_DAYS = 15


async def open_case(
    session: AsyncSession,
    *,
    kind: str,
    now: datetime,
    district_code: str | None,
    parish_code: str | None,
    description: str,
    person_category: str | None = None,
    contact_info: str | None = None,
    cedula: str | None = None,
    reporter_contact_id: int | None = None,
    reporter_consent: bool = False,
    due_days: int = DEFAULT_DUE_DAYS,
) -> Case:
    """Creates a case in status «nuevo» and returns it with its number (e.g. 11D06-2026-00042)."""
    if kind not in CASE_KINDS:
        raise ValueError(f"unknown case kind {kind}")
    case = Case(
        number="pending",
        kind=kind,
        district_code=district_code,
        parish_code=parish_code,
        status="nuevo",
        person_category=person_category,
        description=description,
        contact_info=contact_info,
        cedula=cedula,
        reporter_contact_id=reporter_contact_id,
        reporter_consent=reporter_consent,
        due_on=(now + timedelta(days=due_days)).date(),
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    await session.flush()
    case.number = f"{district_code or 'NAC'}-{now.year}-{case.id:05d}"
    await session.flush()
    return case


async def count_cases(session: AsyncSession, district_code: str) -> int:
    """How many cases a district has."""
    return int(
        await session.scalar(
            select(func.count()).select_from(Case).where(Case.district_code == district_code)
        )
        or 0
    )
