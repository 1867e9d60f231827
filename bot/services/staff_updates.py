"""Staff status changes from Telegram: cases and commitments, authorised in one place.

Each change first resolves the item's district, asks `authorize` (which audits and politely
refuses out-of-territory staff and auditors), then delegates to the workflow services of
`cases` and `commitments`, which record the dated update, audit it and notify.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import N_, NotFound
from bot.domain.staff import StaffScope
from bot.services.authz import Action, authorize
from bot.services.cases import CaseView, StatusChange, change_case_status, get_case
from bot.services.commitments import CommitmentChange, change_commitment_status
from bot.services.dialogues import district_of_parish
from bot.storage.models import Case, Commitment


async def _case_district(session: AsyncSession, number: str) -> tuple[str, str | None]:
    row = (
        await session.execute(
            select(Case.number, Case.district_code).where(Case.number == number.strip().upper())
        )
    ).first()
    if row is None:
        raise NotFound(N_("No existe el caso {number}."), number=number.strip())
    return str(row[0]), row[1]


async def case_for_update(
    session: AsyncSession, scope: StaffScope | None, number: str, *, now: datetime
) -> CaseView:
    """The case `number` when its status may be changed by `scope` (else audited denial)."""
    case_number, district = await _case_district(session, number)
    allowed = await authorize(session, scope, Action.UPDATE_CASE, now=now, district_code=district)
    return await get_case(session, allowed, case_number)


async def update_case_status(
    session: AsyncSession,
    scope: StaffScope | None,
    number: str,
    status: str,
    *,
    now: datetime,
    note: str = "",
    ministry: str = "MIES",
) -> StatusChange:
    """Authorises and applies a case status change with its note."""
    case_number, district = await _case_district(session, number)
    allowed = await authorize(session, scope, Action.UPDATE_CASE, now=now, district_code=district)
    return await change_case_status(
        session, allowed, case_number, status, now=now, note=note, ministry=ministry
    )


async def _commitment_district(session: AsyncSession, commitment_id: int) -> str | None:
    parish = await session.scalar(
        select(Commitment.parish_code).where(Commitment.id == commitment_id)
    )
    if parish is None:
        raise NotFound(N_("No existe el compromiso {id}."), id=commitment_id)
    return await district_of_parish(session, parish)


async def commitment_for_update(
    session: AsyncSession, scope: StaffScope | None, commitment_id: int, *, now: datetime
) -> Commitment:
    """The commitment when `scope` may change its status (else audited denial)."""
    district = await _commitment_district(session, commitment_id)
    await authorize(session, scope, Action.UPDATE_COMMITMENT, now=now, district_code=district)
    row = await session.get(Commitment, commitment_id)
    assert row is not None
    return row


async def update_commitment_status(
    session: AsyncSession,
    scope: StaffScope | None,
    commitment_id: int,
    status: str,
    *,
    now: datetime,
    note: str = "",
    ministry: str = "MIES",
) -> CommitmentChange:
    """Authorises and applies a commitment status change with its note."""
    district = await _commitment_district(session, commitment_id)
    allowed = await authorize(
        session, scope, Action.UPDATE_COMMITMENT, now=now, district_code=district
    )
    return await change_commitment_status(
        session, allowed, commitment_id, status, now=now, note=note, ministry=ministry
    )
