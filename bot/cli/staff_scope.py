"""The staff scope a CLI command acts with: a staff account, or the console operator."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import N_, NotAllowed, NotFound
from bot.domain.staff import Role, StaffScope
from bot.storage.models import Staff

# Whoever runs the CLI on the server already holds the database: they act nationally, and their
# actions are recorded without a staff id.
OPERATOR = StaffScope(staff_id=0, role=Role.ADMIN)


async def cli_scope(session: AsyncSession, staff_id: int | None) -> StaffScope:
    """The scope of staff account `staff_id`, or the operator's when None."""
    if staff_id is None:
        return OPERATOR
    row = await session.get(Staff, staff_id)
    if row is None:
        raise NotFound(N_("No existe la cuenta de personal {id}."), id=staff_id)
    if row.revoked_at is not None:
        raise NotAllowed(N_("La cuenta de personal {id} está revocada."), id=staff_id)
    return StaffScope(row.id, Role(row.role), row.zone_code, row.district_code)
