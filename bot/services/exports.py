"""Exports for auditors and administrators: the delivery report and the audit log.

Rows are streamed from the database in chunks and written as they come (CSV, or an XLSX
workbook in openpyxl's write-only mode), so a million outbox rows need no more memory than a
thousand. Every cell is formula-safe whether a spreadsheet splits on `,` or `;` (`csv_safe` in
CSV; text cells with a quote prefix in XLSX), and numbers and times are typed XLSX cells. Phones
and chat ids are masked unless an administrator asks for `full` contacts; payment lookups say
whether a cédula was found only to roles that may see the registry. Each export is audited.
"""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.staff import StaffScope
from bot.services.audit import record
from bot.services.authz import PERMISSIONS, Action, authorize
from bot.services.cells import CellValue, csv_text, xlsx_cell
from bot.storage.models import AuditEntry, OutboxMessage

CHUNK_ROWS = 1000
# Payment-status lookups (`bot.services.verification.ACTION`) and what anyone may read of them.
LOOKUP_ACTION_PREFIX = "payment_status"
LOOKUP_OUTCOMES_FOR_ALL = frozenset({"locked"})
LOOKUP_OUTCOME_COARSE = "consulta"
LOOKUP_DETAIL_FOR_ALL = frozenset({"factor"})
FORMATS = ("csv", "xlsx")

DELIVERY_HEADER = (
    "id",
    "creado_utc",
    "canal",
    "destino",
    "tipo",
    "difusion",
    "estado",
    "estado_proveedor",
    "intentos",
    "segmentos",
    "enviado_utc",
    "ultimo_error",
)
AUDIT_HEADER = (
    "id",
    "fecha_utc",
    "actor_tipo",
    "actor",
    "accion",
    "objetivo",
    "resultado",
    "detalle",
)


@dataclass(frozen=True)
class Period:
    """An optional [since, until) window in UTC."""

    since: datetime | None = None
    until: datetime | None = None


def mask_address(address: str) -> str:
    """Hides the middle of a phone or chat id: '+5939****567', '****321'."""
    if address.startswith("+") and len(address) > 8:
        return address[:5] + "****" + address[-3:]
    return "****" + address[-3:] if len(address) > 3 else "****"


Value = CellValue


def _utc(value: datetime | None) -> datetime | None:
    """Times as stored (UTC); SQLite returns them naive, so they are marked UTC here."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _window(query: Select[Any], column: Any, period: Period) -> Select[Any]:
    if period.since is not None:
        query = query.where(column >= period.since)
    if period.until is not None:
        query = query.where(column < period.until)
    return query


async def _chunks(
    session: AsyncSession, query: Select[Any], id_column: Any
) -> AsyncIterator[Sequence[Any]]:
    """Keyset pagination by id: constant memory, works the same on SQLite and PostgreSQL."""
    last_id = 0
    while True:
        rows = list(
            await session.scalars(
                query.where(id_column > last_id).order_by(id_column).limit(CHUNK_ROWS)
            )
        )
        if not rows:
            return
        yield rows
        last_id = rows[-1].id


async def delivery_rows(
    session: AsyncSession,
    period: Period,
    *,
    full: bool,
    kind: str | None = None,
    broadcast_id: int | None = None,
) -> AsyncIterator[list[Value]]:
    """The outbox, one row per message, oldest first (addresses masked unless `full`)."""
    query = _window(select(OutboxMessage), OutboxMessage.created_at, period)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    if broadcast_id is not None:
        query = query.where(OutboxMessage.broadcast_id == broadcast_id)
    async for chunk in _chunks(session, query, OutboxMessage.id):
        for m in chunk:
            yield [
                m.id,
                _utc(m.created_at),
                m.channel,
                m.address if full else mask_address(m.address),
                m.kind,
                m.broadcast_id,
                m.status,
                m.provider_status or "",
                m.attempts,
                m.segments,
                _utc(m.sent_at),
                m.last_error or "",
            ]


def registry_visible(scope: StaffScope) -> bool:
    """True when the role may see who is in the registry (the roles that may import it)."""
    return scope.role in PERMISSIONS[Action.IMPORT_REGISTRY].roles


def _lookup_outcome(entry: AuditEntry, registry: bool) -> tuple[str, dict[str, Any]]:
    """A payment lookup's outcome and detail as a role without registry access may read them.

    «match», «no_match» and the detail's `known_cedula` tell whether a cédula is in the
    registry; they become «consulta». A lock says nothing about the registry (unknown cédulas
    lock too), so it stays.
    """
    outcome, detail = entry.outcome or "", dict(entry.detail or {})
    if registry or not entry.action.startswith(LOOKUP_ACTION_PREFIX):
        return outcome, detail
    shown = outcome if outcome in LOOKUP_OUTCOMES_FOR_ALL else LOOKUP_OUTCOME_COARSE
    return shown, {k: v for k, v in detail.items() if k in LOOKUP_DETAIL_FOR_ALL}


async def audit_rows(
    session: AsyncSession,
    period: Period,
    *,
    action: str | None = None,
    registry: bool = False,
) -> AsyncIterator[list[Value]]:
    """The audit log, oldest first (actors are already pseudonymised when recorded).

    Without `registry` access, payment lookups do not say whether the cédula was found.
    """
    query = _window(select(AuditEntry), AuditEntry.at, period)
    if action is not None:
        query = query.where(AuditEntry.action.startswith(action))
    async for chunk in _chunks(session, query, AuditEntry.id):
        for e in chunk:
            outcome, detail = _lookup_outcome(e, registry)
            yield [
                e.id,
                _utc(e.at),
                e.actor_kind,
                e.actor_ref,
                e.action,
                e.target or "",
                outcome,
                json.dumps(detail, ensure_ascii=False, sort_keys=True),
            ]


async def write_table(
    header: Sequence[str], rows: AsyncIterator[list[Value]], path: Path, fmt: str, title: str
) -> int:
    """Streams `rows` into a CSV (UTF-8 with BOM) or XLSX file; returns the rows written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt}")
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([csv_text(h) for h in header])
            async for row in rows:
                writer.writerow([csv_text(v) for v in row])
                count += 1
        return count
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    bold = Font(bold=True)
    titles = [xlsx_cell(sheet, h) for h in header]
    for cell in titles:
        cell.font = bold
    sheet.append(titles)
    async for row in rows:
        sheet.append([xlsx_cell(sheet, v) for v in row])
        count += 1
    workbook.save(path)
    return count


async def export_delivery(
    session: AsyncSession,
    scope: StaffScope | None,
    path: Path,
    fmt: str,
    *,
    now: datetime,
    period: Period = Period(),
    full: bool = False,
    kind: str | None = None,
    broadcast_id: int | None = None,
) -> int:
    """Authorises and writes the delivery report; `full` (unmasked contacts) is admin-only."""
    allowed = await authorize(session, scope, Action.EXPORT_REPORTS, now=now)
    if full:
        await authorize(session, scope, Action.EXPORT_CONTACTS, now=now)
    rows = delivery_rows(session, period, full=full, kind=kind, broadcast_id=broadcast_id)
    count = await write_table(DELIVERY_HEADER, rows, path, fmt, "Entregas")
    await record(
        session,
        at=now,
        actor_kind="staff",
        actor=f"staff:{allowed.staff_id}",
        action="export.delivery",
        outcome="ok",
        detail={"rows": count, "full": full, "format": fmt},
    )
    return count


async def export_audit(
    session: AsyncSession,
    scope: StaffScope | None,
    path: Path,
    fmt: str,
    *,
    now: datetime,
    period: Period = Period(),
    action: str | None = None,
) -> int:
    """Authorises and writes the audit log export."""
    allowed = await authorize(session, scope, Action.EXPORT_REPORTS, now=now)
    rows = audit_rows(session, period, action=action, registry=registry_visible(allowed))
    count = await write_table(AUDIT_HEADER, rows, path, fmt, "Auditoría")
    await record(
        session,
        at=now,
        actor_kind="staff",
        actor=f"staff:{allowed.staff_id}",
        action="export.audit",
        outcome="ok",
        detail={"rows": count, "format": fmt},
    )
    return count
