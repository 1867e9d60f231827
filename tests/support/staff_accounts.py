"""Staff rows for tests of scoped services (the real accounts belong to the staff module)."""

from __future__ import annotations

from bot.domain.staff import Role, StaffScope
from bot.services.container import Services
from bot.storage.models import Staff


async def make_scope(
    services: Services,
    role: Role,
    *,
    zone_code: str | None = None,
    district_code: str | None = None,
    name: str = "Analista de prueba",
) -> StaffScope:
    """Creates a staff row and returns the scope it acts with."""
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        row = Staff(
            name=name,
            role=role.value,
            zone_code=zone_code,
            district_code=district_code,
            created_at=now,
        )
        session.add(row)
        await session.flush()
        staff_id = row.id
    return StaffScope(staff_id, role, zone_code, district_code)
