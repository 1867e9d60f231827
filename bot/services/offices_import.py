"""Office directory import from CSV: staff keep each district office's address, hours, phone,
services, source and last check, and which cantons or parishes it serves.

The file is RFC 4180 CSV (comma, double quotes, UTF-8). Every row is checked on its own: a bad
row is reported with the physical line where its record starts (header = line 1) and the rest
is imported; a row whose values equal the database's changes nothing, so importing the same file
twice is a no-op. Imported rows are marked as staff data: reloading the shipped reference data
never overwrites them. Format: docs/offices-csv.md.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.domain.errors import N_
from bot.domain.registry_rows import RowError
from bot.services.registry_import import ImportFileError
from bot.storage.db import create_session_factory
from bot.storage.models import Canton, District, ImportRun, Parish, ParishDistrict, Zone

OFFICE_COLUMNS = (
    "code",
    "name",
    "zone_code",
    "address",
    "hours",
    "phone",
    "services",
    "source",
    "checked_on",
    "serves",
    "confidence",
)
REQUIRED_COLUMNS = ("code", "source", "checked_on")
CONFIDENCE_TAGS = ("V", "P", "D", "U")
MAX_OFFICE_ROWS = 2000
_CODE = re.compile(r"\d{2}D\d{2}")
_PHONE = re.compile(r"[0-9 +()./\-extEXT]+")
_LIMITS = {"name": 80, "address": 200, "hours": 120, "phone": 40, "source": 200}


@dataclass
class OfficeImportSummary:
    """What an office import did: rows read, valid, changed, failed, and the row errors."""

    file_name: str
    dry_run: bool
    rows_read: int = 0
    rows_valid: int = 0
    rows_changed: int = 0
    rows_failed: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True)
class OfficeRow:
    """One valid row of the office directory."""

    line: int
    code: str
    values: dict[str, Any]
    serves: tuple[str, ...]
    confidence: str | None


@dataclass(frozen=True)
class _Known:
    districts: dict[str, District]
    zones: frozenset[str]
    cantons: frozenset[str]
    parishes: frozenset[str]


def read_records(path: Path) -> tuple[list[str], list[tuple[int, int, list[str] | None, str]]]:
    """Reads the header and every record as (first line, last line, cells or None, error)."""
    if not path.is_file():
        raise ImportFileError(f"No existe el archivo {path}.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        bad_line = path.read_bytes()[: error.start].count(b"\n") + 1
        raise ImportFileError(
            f"El archivo no está en UTF-8 (línea {bad_line}). Guárdelo como «CSV UTF-8»."
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, int, list[str] | None, str]] = []
    header: list[str] | None = None
    while True:
        first = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            records.append((first, reader.line_num, None, str(error)))
            continue
        if header is None:
            header = [c.strip().lower() for c in cells]
            continue
        if not any(c.strip() for c in cells):
            continue  # blank line
        records.append((first, reader.line_num, cells, ""))
        if len(records) > MAX_OFFICE_ROWS:
            raise ImportFileError(f"Más de {MAX_OFFICE_ROWS} filas: divida el archivo.")
    if header is None:
        raise ImportFileError("El archivo está vacío.")
    if ";" in "".join(header) and "code" not in header:
        raise ImportFileError("Separe las columnas con comas (CSV estándar), no con punto y coma.")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportFileError(
            "Faltan columnas en el encabezado: "
            + ", ".join(missing)
            + ". Vea docs/offices-csv.md para el formato."
        )
    return header, records


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _date(raw: str, today: date) -> date:
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", raw) or None
    if match:
        value = date(*(int(g) for g in match.groups()))
    else:
        other = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", raw)
        if not other:
            raise ValueError(raw)
        day, month, year = (int(g) for g in other.groups())
        value = date(year, month, day)
    if value > today or value.year < 2000:
        raise ValueError(raw)
    return value


def validate_office_row(
    line: int, cell: dict[str, str], known: _Known, today: date
) -> tuple[OfficeRow | None, list[RowError]]:
    """Checks one row; returns the typed row, or None and every problem found."""
    errors: list[RowError] = []

    def fail(column: str, reason: str) -> None:
        errors.append(RowError(line, column, reason))

    for column in REQUIRED_COLUMNS:
        if not cell.get(column):
            fail(column, N_("valor obligatorio vacío"))
    code = cell.get("code", "").upper()
    existing = known.districts.get(code)
    if code and not _CODE.fullmatch(code):
        fail("code", N_("código de distrito no válido (por ejemplo 11D06)"))
    elif code and existing is None and not (cell.get("name") and cell.get("zone_code")):
        fail("code", N_("dirección distrital desconocida: para una nueva indique name y zone_code"))
    if cell.get("zone_code") and cell["zone_code"] not in known.zones:
        fail("zone_code", N_("zona desconocida"))
    for column, limit in _LIMITS.items():
        if len(cell.get(column, "")) > limit:
            fail(column, N_("texto demasiado largo"))
    phone = cell.get("phone", "")
    if phone and (not _PHONE.fullmatch(phone) or sum(ch.isdigit() for ch in phone) < 7):
        fail("phone", N_("teléfono no válido (al menos 7 dígitos)"))
    checked: date | None = None
    if cell.get("checked_on"):
        try:
            checked = _date(cell["checked_on"], today)
        except ValueError:
            fail("checked_on", N_("fecha no válida o futura (use AAAA-MM-DD)"))
    serves = tuple(c for c in re.split(r"[\s;|]+", cell.get("serves", "")) if c)
    for place in serves:
        if place not in known.cantons and place not in known.parishes:
            fail("serves", N_("código de cantón o parroquia inexistente"))
            break
    confidence = cell.get("confidence", "").upper() or None
    if confidence is not None and confidence not in CONFIDENCE_TAGS:
        fail("confidence", N_("confianza desconocida (use V, P, D o U)"))
    if serves and confidence is None:
        fail("confidence", N_("indique la confianza (V, P, D o U) de la jurisdicción"))
    if errors:
        return None, errors
    values: dict[str, Any] = {
        "address": cell.get("address") or None,
        "hours": cell.get("hours") or None,
        "phone": phone or None,
        "services": cell.get("services") or None,
        "source": cell["source"],
        "checked_on": checked,
    }
    if cell.get("name"):
        values["name"] = cell["name"]
    if cell.get("zone_code"):
        values["zone_code"] = cell["zone_code"]
    return OfficeRow(line, code, values, serves, confidence), []


async def _known(session: AsyncSession) -> _Known:
    districts = {d.code: d for d in await session.scalars(select(District))}
    zones = frozenset(await session.scalars(select(Zone.code)))
    cantons = frozenset(await session.scalars(select(Canton.code)))
    parishes = frozenset(await session.scalars(select(Parish.code)))
    return _Known(districts, zones, cantons, parishes)


async def _apply(session: AsyncSession, row: OfficeRow, known: _Known) -> bool:
    """Writes one row; returns whether anything changed."""
    changed = False
    district = known.districts.get(row.code)
    if district is None:
        district = District(code=row.code, staff_edited=True)
        session.add(district)
        known.districts[row.code] = district
        changed = True
    for name, value in row.values.items():
        if getattr(district, name) != value:
            setattr(district, name, value)
            changed = True
    if changed:
        district.staff_edited = True
    for place in row.serves:
        source = f"{row.values['source']} (revisado {row.values['checked_on']})"[:120]
        if place in known.cantons:
            canton = await session.get(Canton, place)
            assert canton is not None
            new = (row.code, source, row.confidence)
            if (canton.district_code, canton.district_source, canton.district_confidence) != new:
                canton.district_code, canton.district_source, canton.district_confidence = new
                changed = True
        else:
            mapping = await session.get(ParishDistrict, place)
            if mapping is None:
                mapping = ParishDistrict(parish_code=place)
                session.add(mapping)
            new_p = (row.code, source, row.confidence or "V", True)
            old_p = (
                mapping.district_code,
                mapping.source,
                mapping.confidence,
                mapping.staff_edited,
            )
            if old_p != new_p:
                (
                    mapping.district_code,
                    mapping.source,
                    mapping.confidence,
                    mapping.staff_edited,
                ) = new_p
                changed = True
    return changed


async def import_offices(
    engine: AsyncEngine, path: Path, *, now: datetime, dry_run: bool = False
) -> OfficeImportSummary:
    """Imports the office directory; bad rows are reported by line, the rest is written."""
    header, records = await asyncio.to_thread(read_records, path)
    digest = await asyncio.to_thread(_sha256, path)
    summary = OfficeImportSummary(file_name=path.name, dry_run=dry_run)
    async with create_session_factory(engine)() as session:
        known = await _known(session)
        seen: dict[str, int] = {}
        valid: list[OfficeRow] = []
        for first, last, cells, problem in records:
            summary.rows_read += 1
            if cells is None:
                reason = (
                    N_("comillas sin cerrar: la fila sigue hasta la línea ") + str(last)
                    if "end of data" in problem
                    else N_("comillas mal puestas (un campo con comillas debe cerrarlas)")
                )
                summary.errors.append(RowError(first, "-", reason))
                continue
            if len(cells) != len(header):
                reason = (
                    N_("comillas sin cerrar: la fila sigue hasta la línea ") + str(last)
                    if last > first
                    else N_("la fila no tiene tantas columnas como el encabezado")
                )
                summary.errors.append(RowError(first, "-", reason))
                continue
            cell = {h: c.strip() for h, c in zip(header, cells, strict=True) if h}
            row, problems = validate_office_row(first, cell, known, now.date())
            if row is not None and row.code in seen:
                problems = [RowError(first, "code", N_("oficina repetida en el archivo"))]
                row = None
            if row is None:
                summary.errors.extend(problems)
                continue
            seen[row.code] = first
            valid.append(row)
        summary.rows_valid = len(valid)
        summary.rows_failed = summary.rows_read - summary.rows_valid
        for row in valid:
            if await _apply(session, row, known):
                summary.rows_changed += 1
        if dry_run:
            await session.rollback()
            return summary
        session.add(
            ImportRun(
                kind="offices",
                file_name=path.name[:255],
                file_sha256=digest,
                status="done",
                rows_read=summary.rows_read,
                rows_changed=summary.rows_changed,
                rows_failed=summary.rows_failed,
                last_line_committed=records[-1][1] if records else 1,
                started_at=now,
                finished_at=now,
            )
        )
        await session.commit()
    return summary
