"""Loads the shipped reference data (territory, zones, districts, jurisdictions) idempotently.

Staff data wins: an office row imported by staff (`python -m bot import offices`), a canton
mapping edited by staff and a parish mapping imported by staff are never overwritten by a reload.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.text import name_key
from bot.storage.models import Canton, District, Parish, ParishDistrict, Province, Zone

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SHIPPED_SOURCE_PREFIX = "datos de referencia: "


@dataclass(frozen=True)
class ReferenceCounts:
    """How many rows of each kind the database holds after loading."""

    provinces: int
    cantons: int
    parishes: int
    zones: int
    districts: int
    mapped_cantons: int


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


async def load_reference_data(session: AsyncSession) -> ReferenceCounts:
    """Inserts or updates every shipped row; staff edits of canton→district mappings are kept."""
    for row in _rows("provinces.csv"):
        await session.merge(Province(code=row["code"], name=row["name"], timezone=row["timezone"]))
    for row in _rows("zones.csv"):
        await session.merge(
            Zone(code=row["code"], name=row["name"], serves=row.get("serves") or None)
        )
    await session.flush()
    for row in _rows("districts.csv"):
        district = await session.get(District, row["code"])
        if district is None:
            district = District(code=row["code"], staff_edited=False)
            session.add(district)
        district.af_households = int(row["af_households"]) if row["af_households"] else None
        if district.staff_edited:
            continue
        district.name, district.zone_code = row["name"], row["zone_code"]
        district.address = row["address"] or district.address
        district.hours = row["hours"] or district.hours
        district.phone = row["phone"] or district.phone
        district.source = SHIPPED_SOURCE_PREFIX + "seed 003 §2.1.3 (código, nombre y zona)"
    await session.flush()
    mapping = {r["canton_code"]: r for r in _rows("canton_districts.csv")}
    existing = {c.code: c for c in await session.scalars(select(Canton))}
    for row in _rows("cantons.csv"):
        canton = existing.get(row["code"])
        if canton is None:
            canton = Canton(code=row["code"])
            session.add(canton)
        canton.province_code, canton.name, canton.name_key = (
            row["province_code"],
            row["name"],
            name_key(row["name"]),
        )
        shipped = mapping.get(row["code"])
        staff_edited = canton.district_source is not None and not canton.district_source.startswith(
            SHIPPED_SOURCE_PREFIX
        )
        if shipped is not None and not staff_edited:
            canton.district_code = shipped["district_code"]
            canton.district_source = SHIPPED_SOURCE_PREFIX + shipped["source"]
            canton.district_confidence = shipped.get("confidence") or None
    await session.flush()
    parishes = {p.code: p for p in await session.scalars(select(Parish))}
    for row in _rows("parishes.csv"):
        parish = parishes.get(row["code"])
        if parish is None:
            session.add(
                Parish(
                    code=row["code"],
                    canton_code=row["canton_code"],
                    name=row["name"],
                    name_key=name_key(row["name"]),
                )
            )
        else:
            parish.canton_code, parish.name, parish.name_key = (
                row["canton_code"],
                row["name"],
                name_key(row["name"]),
            )
    await session.flush()
    await _load_parish_districts(session)
    return await count_reference_data(session)


async def _load_parish_districts(session: AsyncSession) -> None:
    """Parish-level jurisdictions (cantons with several offices); staff rows are kept."""
    existing = {p.parish_code: p for p in await session.scalars(select(ParishDistrict))}
    for row in _rows("parish_districts.csv"):
        mapping = existing.get(row["parish_code"])
        if mapping is None:
            mapping = ParishDistrict(parish_code=row["parish_code"], staff_edited=False)
            session.add(mapping)
        elif mapping.staff_edited:
            continue
        mapping.district_code = row["district_code"]
        mapping.source = SHIPPED_SOURCE_PREFIX + row["source"]
        mapping.confidence = row["confidence"]
    await session.flush()


async def count_reference_data(session: AsyncSession) -> ReferenceCounts:
    """Counts the reference rows in the database (24 provinces exclude the non-delimited 90)."""

    async def count(query: object) -> int:
        return int(await session.scalar(query) or 0)  # type: ignore[call-overload]

    return ReferenceCounts(
        provinces=await count(
            select(func.count()).select_from(Province).where(Province.code != "90")
        ),
        cantons=await count(
            select(func.count()).select_from(Canton).where(Canton.province_code != "90")
        ),
        parishes=await count(
            select(func.count())
            .select_from(Parish)
            .join(Canton)
            .where(Canton.province_code != "90")
        ),
        zones=await count(select(func.count()).select_from(Zone)),
        districts=await count(select(func.count()).select_from(District)),
        mapped_cantons=await count(
            select(func.count()).select_from(Canton).where(Canton.district_code.is_not(None))
        ),
    )


async def set_canton_district(
    session: AsyncSession, canton_code: str, district_code: str | None, editor: str
) -> None:
    """Staff edit of the canton → district directorate mapping; survives reloads of shipped data."""
    canton = await session.get(Canton, canton_code)
    if canton is None:
        raise LookupError(f"no canton {canton_code}")
    if district_code is not None and await session.get(District, district_code) is None:
        raise LookupError(f"no district {district_code}")
    canton.district_code = district_code
    canton.district_source = f"editado por {editor}"
    canton.district_confidence = "V" if district_code is not None else None
