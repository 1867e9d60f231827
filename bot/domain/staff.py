"""Staff roles and the territory a staff member may act on."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """Staff roles, from widest to narrowest."""

    ADMIN = "admin"  # administrador nacional
    ZONAL = "zonal"  # coordinador zonal: districts of one zone
    DISTRICT = "distrital"  # analista distrital: one district directorate
    AUDITOR = "auditor"  # read-only, national
    # técnico de acompañamiento familiar: one district, and only the parishes and families
    # assigned to them (`technician_assignments`)
    TECHNICIAN = "tecnico"


@dataclass(frozen=True)
class StaffScope:
    """Who is acting and where: services filter and authorise with it."""

    staff_id: int
    role: Role
    zone_code: str | None = None
    district_code: str | None = None

    @property
    def read_only(self) -> bool:
        """Auditors may look but never change anything."""
        return self.role is Role.AUDITOR
