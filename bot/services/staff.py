"""Staff accounts: creation and revocation, one-time link codes, lookup by Telegram user."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import N_, DomainError
from bot.domain.staff import Role, StaffScope
from bot.services.audit import record
from bot.storage.models import District, Staff, Zone

LINK_CODE_TTL = timedelta(hours=48)
# No 0/O, 1/I/L: codes are read aloud and typed on phones.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LINK_CODE_LENGTH = 8


class StaffError(DomainError):
    """A staff account operation that cannot be done (unknown district, bad code…)."""


def hash_code(code: str) -> str:
    """The SHA-256 of a normalised link code (only the hash is stored)."""
    normalised = "".join(code.split()).upper().replace("-", "")
    return hashlib.sha256(normalised.encode()).hexdigest()


def scope_of(staff: Staff) -> StaffScope:
    """The authorisation scope of an account."""
    return StaffScope(
        staff_id=staff.id,
        role=Role(staff.role),
        zone_code=staff.zone_code,
        district_code=staff.district_code,
    )


async def create_staff(
    session: AsyncSession,
    *,
    name: str,
    role: Role,
    now: datetime,
    zone_code: str | None = None,
    district_code: str | None = None,
) -> Staff:
    """Creates an account; district analysts need a district, zonal coordinators a zone."""
    if not name.strip():
        raise StaffError(N_("El nombre no puede estar vacío."))
    if role in (Role.DISTRICT, Role.TECHNICIAN):
        district = await session.get(District, district_code or "")
        if district is None:
            raise StaffError(
                N_("La dirección distrital {code} no existe."), code=district_code or "-"
            )
        zone_code = district.zone_code
    elif role is Role.ZONAL:
        if await session.get(Zone, zone_code or "") is None:
            raise StaffError(N_("La zona {code} no existe."), code=zone_code or "-")
        district_code = None
    else:
        zone_code = district_code = None
    staff = Staff(
        name=name.strip(),
        role=role.value,
        zone_code=zone_code,
        district_code=district_code,
        created_at=now,
    )
    session.add(staff)
    await session.flush()
    await record(
        session,
        at=now,
        actor_kind="sistema",
        actor="cli",
        action="staff.created",
        target=f"staff:{staff.id}",
        detail={"role": role.value, "district": district_code, "zone": zone_code},
    )
    return staff


async def issue_link_code(session: AsyncSession, staff_id: int, now: datetime) -> str:
    """Creates a new one-time link code for an account; returns it (shown once, stored hashed)."""
    staff = await session.get(Staff, staff_id)
    if staff is None or staff.revoked_at is not None:
        raise StaffError(N_("No existe una cuenta activa con el número {id}."), id=staff_id)
    code = "".join(secrets.choice(_ALPHABET) for _ in range(LINK_CODE_LENGTH))
    staff.link_code_hash = hash_code(code)
    staff.link_code_expires_at = now + LINK_CODE_TTL
    return code


async def link_telegram(
    session: AsyncSession, code: str, telegram_user_id: int, now: datetime
) -> Staff:
    """Links a Telegram user to the account whose unexpired code matches; the code is spent."""
    staff = await session.scalar(select(Staff).where(Staff.link_code_hash == hash_code(code)))
    valid = (
        staff is not None
        and staff.revoked_at is None
        and staff.link_code_expires_at is not None
        and staff.link_code_expires_at > now
    )
    if not valid or staff is None:
        await record(
            session,
            at=now,
            actor_kind="anonimo",
            actor=f"telegram:{telegram_user_id}",
            action="staff.link",
            outcome="invalid_code",
        )
        raise StaffError(
            N_("Ese código no es válido o ya venció. Pida uno nuevo a su administrador.")
        )
    other = await session.scalar(select(Staff).where(Staff.telegram_user_id == telegram_user_id))
    if other is not None and other.id != staff.id:
        other.telegram_user_id = None
    staff.telegram_user_id = telegram_user_id
    staff.link_code_hash = None
    staff.link_code_expires_at = None
    await record(
        session,
        at=now,
        actor_kind="staff",
        actor=f"staff:{staff.id}",
        action="staff.link",
        outcome="ok",
    )
    return staff


async def revoke_staff(session: AsyncSession, staff_id: int, now: datetime) -> Staff:
    """Revokes an account: it can no longer act nor link, and its Telegram link is removed."""
    staff = await session.get(Staff, staff_id)
    if staff is None:
        raise StaffError(N_("No existe una cuenta con el número {id}."), id=staff_id)
    staff.revoked_at = now
    staff.telegram_user_id = None
    staff.link_code_hash = None
    staff.link_code_expires_at = None
    await record(
        session,
        at=now,
        actor_kind="sistema",
        actor="cli",
        action="staff.revoked",
        target=f"staff:{staff.id}",
    )
    return staff


async def staff_for_telegram(session: AsyncSession, telegram_user_id: int) -> Staff | None:
    """The active account linked to a Telegram user, if any."""
    return await session.scalar(
        select(Staff).where(Staff.telegram_user_id == telegram_user_id, Staff.revoked_at.is_(None))
    )


async def list_staff(session: AsyncSession) -> list[Staff]:
    """Every account, oldest first."""
    return list(await session.scalars(select(Staff).order_by(Staff.id)))
