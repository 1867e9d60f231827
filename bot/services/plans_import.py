"""Import of parish events and dialogue commitments from small CSV files (all or nothing).

Unlike the registry, these files are short and hand-made: every row is validated first and
nothing is written if any row is wrong; rows already in the database (same parish, start and
title for events; same parish, proposal and institution commitment for commitments) are skipped,
so importing a file twice adds nothing the second time. Schemas: docs/registry-csv.md.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.domain.errors import N_
from bot.domain.event_kinds import EVENT_KINDS
from bot.domain.registry_rows import RowError
from bot.services.registry_import import ImportFileError, check_header
from bot.storage.db import create_session_factory
from bot.storage.models import Canton, Commitment, Event, Parish, Province

EVENT_COLUMNS = ("kind", "title", "parish_code", "starts_at", "place", "description", "reminders")
COMMITMENT_COLUMNS = (
    "parish_code",
    "proposal",
    "citizen_commitment",
    "institution_commitment",
    "deadline",
    "responsible_unit",
    "status",
)
COMMITMENT_STATUSES = ("pendiente", "en_curso", "cumplido", "incumplido")
MAX_PLAN_ROWS = 5000
_NO_PARISH = N_("código de parroquia inexistente")
_BAD_START = N_("fecha y hora no válidas (AAAA-MM-DD HH:MM)")


class PlanImportError(Exception):
    """Some rows are wrong: nothing was imported."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} row errors")
        self.errors = errors


@dataclass(frozen=True)
class _Parishes:
    timezones: dict[str, str]


async def _parishes(session: AsyncSession) -> _Parishes:
    rows = await session.execute(
        select(Parish.code, Province.timezone)
        .join(Canton, Canton.code == Parish.canton_code)
        .join(Province, Province.code == Canton.province_code)
    )
    return _Parishes({code: tz for code, tz in rows.tuples()})


def _read(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    if not path.is_file():
        raise ImportFileError(f"No existe el archivo {path}.")
    rows: list[tuple[int, dict[str, str]]] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        sample = handle.readline()
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            raise ImportFileError("El archivo no parece un CSV.") from None
        header = [h.strip().lower() for h in next(csv.reader([sample], dialect))]
        check_header(header, columns)
        reader = csv.DictReader(handle, fieldnames=header, dialect=dialect)
        for raw in reader:
            if len(rows) >= MAX_PLAN_ROWS:
                raise ImportFileError(f"Más de {MAX_PLAN_ROWS} filas: divida el archivo.")
            rows.append((reader.line_num, {k: (v or "").strip() for k, v in raw.items() if k}))
    return rows


def parse_local_datetime(text: str, timezone: str) -> datetime:
    """Parses 'AAAA-MM-DD HH:MM' (or DD/MM/AAAA HH:MM) as local time in `timezone`."""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})", text.strip())
    if match:
        year, month, day, hour, minute = (int(g) for g in match.groups())
    else:
        match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2})", text.strip())
        if not match:
            raise ValueError(text)
        day, month, year, hour, minute = (int(g) for g in match.groups())
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(timezone))


def parse_offsets(text: str) -> list[int]:
    """Parses reminder offsets in minutes, separated by ';' or spaces (e.g. '10080;1440')."""
    parts = [p for p in re.split(r"[;\s|]+", text.strip()) if p]
    offsets = sorted({int(p) for p in parts}, reverse=True)
    if any(o <= 0 or o > 60 * 24 * 60 for o in offsets):
        raise ValueError(text)
    return offsets


async def import_events(
    engine: AsyncEngine, path: Path, *, now: datetime, dry_run: bool = False
) -> tuple[int, int]:
    """Imports events; returns (added, skipped). Raises `PlanImportError` listing bad rows."""
    rows = _read(path, EVENT_COLUMNS)
    async with create_session_factory(engine)() as session, session.begin():
        parishes = await _parishes(session)
        errors: list[RowError] = []
        events: list[Event] = []
        for line, row in rows:
            problems: list[RowError] = []
            values: dict[str, Any] = {}
            if row["kind"] not in EVENT_KINDS:
                problems.append(RowError(line, "kind", N_("tipo de evento desconocido")))
            for column in ("title", "place"):
                if not row[column] or len(row[column]) > 160:
                    problems.append(RowError(line, column, N_("vacío o de más de 160 caracteres")))
            tz = parishes.timezones.get(row["parish_code"])
            if tz is None:
                problems.append(
                    RowError(line, "parish_code", N_("código de parroquia inexistente"))
                )
            else:
                try:
                    values["starts_at"] = parse_local_datetime(row["starts_at"], tz)
                    if values["starts_at"] <= now:
                        problems.append(RowError(line, "starts_at", N_("la fecha ya pasó")))
                except ValueError:
                    problems.append(
                        RowError(
                            line, "starts_at", N_("fecha y hora no válidas (AAAA-MM-DD HH:MM)")
                        )
                    )
            try:
                values["offsets"] = parse_offsets(row["reminders"]) if row["reminders"] else []
            except ValueError:
                problems.append(
                    RowError(line, "reminders", N_("recordatorios en minutos, separados por ;"))
                )
            if problems:
                errors.extend(problems)
                continue
            events.append(
                Event(
                    kind=row["kind"],
                    title=row["title"],
                    parish_code=row["parish_code"],
                    starts_at=values["starts_at"],
                    place=row["place"],
                    description=row["description"],
                    reminder_offsets_minutes=values["offsets"],
                    created_at=now,
                )
            )
        if errors:
            raise PlanImportError(errors)
        added = skipped = 0
        for event in events:
            exists = await session.scalar(
                select(Event.id).where(
                    Event.parish_code == event.parish_code,
                    Event.starts_at == event.starts_at,
                    Event.title == event.title,
                )
            )
            if exists is not None:
                skipped += 1
                continue
            added += 1
            if not dry_run:
                session.add(event)
        return added, skipped


def _deadline(text: str) -> tuple[date | None, bool]:
    if text.strip().lower() in ("permanente", "permanent"):
        return None, True
    if not text.strip():
        return None, False
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text.strip())
    if match:
        day, month, year = (int(g) for g in match.groups())
        return date(year, month, day), False
    return date.fromisoformat(text.strip()), False


async def import_commitments(
    engine: AsyncEngine, path: Path, *, now: datetime, dry_run: bool = False
) -> tuple[int, int]:
    """Imports commitments; returns (added, skipped). Raises `PlanImportError` listing bad rows."""
    rows = _read(path, COMMITMENT_COLUMNS)
    async with create_session_factory(engine)() as session, session.begin():
        parishes = await _parishes(session)
        errors: list[RowError] = []
        items: list[Commitment] = []
        for line, row in rows:
            problems: list[RowError] = []
            if row["parish_code"] not in parishes.timezones:
                problems.append(
                    RowError(line, "parish_code", N_("código de parroquia inexistente"))
                )
            for column in ("proposal", "citizen_commitment", "institution_commitment"):
                if not row[column]:
                    problems.append(RowError(line, column, N_("valor obligatorio vacío")))
            if not row["responsible_unit"] or len(row["responsible_unit"]) > 120:
                problems.append(
                    RowError(line, "responsible_unit", N_("vacío o de más de 120 caracteres"))
                )
            status = row["status"].lower() or "pendiente"
            if status not in COMMITMENT_STATUSES:
                problems.append(RowError(line, "status", N_("estado de compromiso desconocido")))
            deadline: date | None = None
            permanent = False
            try:
                deadline, permanent = _deadline(row["deadline"])
            except ValueError:
                problems.append(
                    RowError(line, "deadline", N_("fecha no válida (AAAA-MM-DD o «Permanente»)"))
                )
            if problems:
                errors.extend(problems)
                continue
            items.append(
                Commitment(
                    parish_code=row["parish_code"],
                    proposal=row["proposal"],
                    citizen_commitment=row["citizen_commitment"],
                    institution_commitment=row["institution_commitment"],
                    deadline=deadline,
                    permanent=permanent,
                    responsible_unit=row["responsible_unit"],
                    status=status,
                    created_at=now,
                    updated_at=now,
                )
            )
        if errors:
            raise PlanImportError(errors)
        added = skipped = 0
        for item in items:
            exists = await session.scalar(
                select(Commitment.id).where(
                    Commitment.parish_code == item.parish_code,
                    Commitment.proposal == item.proposal,
                    Commitment.institution_commitment == item.institution_commitment,
                )
            )
            if exists is not None:
                skipped += 1
                continue
            added += 1
            if not dry_run:
                session.add(item)
        return added, skipped
