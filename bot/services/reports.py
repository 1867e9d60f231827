"""Staff exports: the *Matriz de alertas y sugerencias* and the *Matriz de compromisos*.

Both follow the structure and columns of the district report of the Diálogo Ciudadano of
Tacamoros (21 Nov 2024, seed 000): the alerts matrix has one section per generating question
(«PREGUNTAS GENERADORAS · <section> · OBSERVACIONES ADICIONALES») with numbered answers; the
commitments matrix has the ministry / citizens header and the columns «Propuestas … · Compromisos
asumidos por la ciudadanía · Compromisos asumidos por la institución · Plazos», followed by the
follow-up columns (responsible unit, status). A summary counts answers per parish and question.

Exports are CSV (UTF-8 with BOM, so spreadsheets read accents) and XLSX (openpyxl), safe against
formula injection whether a spreadsheet splits on `,` or `;` (`bot.services.cells`): in CSV every
piece that would start a formula gets a leading apostrophe; in XLSX every text cell is written as
a string (never a formula) with Excel's quote prefix, and counts and deadlines are typed cells.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.dialogue import (
    COMMITMENT_STATUS_LABELS,
    PERMANENT,
    QUESTIONS,
)
from bot.domain.errors import N_, NotAllowed, NotFound
from bot.domain.staff import StaffScope
from bot.services.attendance import EventAttendanceView, attendance_of, summary_lines
from bot.services.cases import districts_in_scope
from bot.services.cells import CellValue, csv_text, xlsx_cell
from bot.services.cells import csv_safe as csv_safe  # re-exported: the reports' formula rule
from bot.services.reach import Reach, reach_by_parish
from bot.storage.models import (
    Canton,
    Commitment,
    DialogueAnswer,
    DialogueSession,
    District,
    Event,
    Parish,
    Province,
)

MINISTRY_FULL_NAMES = {
    "MIES": "Ministerio de Inclusión Económica y Social",
    "MDH": "Ministerio de Desarrollo Humano",
}
# Event dates in a dialogue's export are read on the mainland (Galápagos events are rare here).
REPORT_ZONE = ZoneInfo("America/Guayaquil")
ALERTS_FIRST_COLUMN = "PREGUNTAS GENERADORAS"
OBSERVATIONS = "OBSERVACIONES ADICIONALES"
COMMITMENT_COLUMNS = (
    "Propuestas realizadas en las mesas de diálogo",
    "Compromisos asumidos por la ciudadanía",
    "Compromisos asumidos por la institución",
    "Plazos",
)
FOLLOW_UP_COLUMNS = ("Unidad responsable", "Estado")
COUNT_COLUMNS = (
    "Parroquia",
    "Código",
    "Cantón",
    "Provincia",
    *(f"{q.number}. {q.short}" for q in QUESTIONS),
    "Respuestas",
    "Participantes",
    "Compromisos",
)

Table = list[list[CellValue]]


@dataclass(frozen=True)
class ParishName:
    """A parish's code and names for report rows."""

    code: str
    name: str
    canton: str
    province: str


@dataclass(frozen=True)
class AnswerRow:
    """An answer as exported."""

    parish_code: str
    question: int
    text: str
    observations: str
    contact_id: int | None


@dataclass(frozen=True)
class CommitmentRow:
    """A commitment as exported."""

    parish_code: str
    proposal: str
    citizen_commitment: str
    institution_commitment: str
    deadline: date | None
    responsible_unit: str
    status: str


@dataclass
class ReportData:
    """Everything one export holds: its title, answers, commitments and parish names."""

    title: str
    answers: list[AnswerRow] = field(default_factory=list)
    commitments: list[CommitmentRow] = field(default_factory=list)
    parishes: dict[str, ParishName] = field(default_factory=dict)
    attendance: list[EventAttendanceView] = field(default_factory=list)
    reach: list[Reach] = field(default_factory=list)


# --- loading ---------------------------------------------------------------------------------


async def _parish_names(session: AsyncSession, codes: set[str]) -> dict[str, ParishName]:
    if not codes:
        return {}
    rows = await session.execute(
        select(Parish.code, Parish.name, Canton.name, Province.name)
        .join(Canton, Canton.code == Parish.canton_code)
        .join(Province, Province.code == Canton.province_code)
        .where(Parish.code.in_(sorted(codes)))
    )
    return {code: ParishName(code, name, canton, prov) for code, name, canton, prov in rows}


async def _district_of(session: AsyncSession, parish_code: str) -> str | None:
    return await session.scalar(
        select(Canton.district_code)
        .join(Parish, Parish.canton_code == Canton.code)
        .where(Parish.code == parish_code)
    )


async def dialogue_report(session: AsyncSession, scope: StaffScope, session_id: int) -> ReportData:
    """The answers and commitments of one dialogue session (within `scope`'s territory)."""
    dialogue = await session.get(DialogueSession, session_id)
    if dialogue is None:
        raise NotFound(N_("No existe el diálogo {id}."), id=session_id)
    allowed = await districts_in_scope(session, scope)
    district = await _district_of(session, dialogue.parish_code)
    if allowed is not None and district not in allowed:
        raise NotAllowed(N_("El diálogo {id} no pertenece a su territorio."), id=session_id)
    answers = await session.scalars(
        select(DialogueAnswer)
        .where(DialogueAnswer.session_id == session_id)
        .order_by(DialogueAnswer.created_at, DialogueAnswer.id)
    )
    commitments = await session.scalars(
        select(Commitment).where(Commitment.session_id == session_id).order_by(Commitment.id)
    )
    data = ReportData(title=dialogue.title)
    _fill(data, list(answers), list(commitments))
    data.parishes = await _parish_names(session, {dialogue.parish_code})
    event = await session.get(Event, dialogue.event_id) if dialogue.event_id else None
    data.attendance = await attendance_of(session, [event] if event else [], REPORT_ZONE)
    return data


async def territory_parishes(session: AsyncSession, code: str) -> list[str] | None:
    """Parish codes of a territory code: parish (6), canton (4), province (2), district, zone.

    Returns None for an empty code (the whole country); an unknown code raises `NotFound`.
    """
    code = code.strip().upper()
    if not code:
        return None
    query = select(Parish.code).join(Canton, Canton.code == Parish.canton_code)
    if code.isdigit() and len(code) == 6:
        query = query.where(Parish.code == code)
    elif code.isdigit() and len(code) == 4:
        query = query.where(Canton.code == code)
    elif code.isdigit() and len(code) == 2:
        query = query.where(Canton.province_code == code)
    elif await session.get(District, code) is not None:
        query = query.where(Canton.district_code == code)
    else:
        districts = select(District.code).where(District.zone_code == code)
        query = query.where(Canton.district_code.in_(districts))
    codes = sorted(await session.scalars(query))
    if not codes:
        raise NotFound(N_("No conozco el territorio {code}."), code=code)
    return codes


def local_bounds(since: date, until: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The aware instants that start `since` and end `until` (inclusive) in local time."""
    start = datetime.combine(since, time.min, tz)
    end = datetime.combine(until + timedelta(days=1), time.min, tz)
    return start, end


async def period_report(
    session: AsyncSession,
    scope: StaffScope,
    *,
    since: date,
    until: date,
    territory_code: str = "",
    tz: ZoneInfo,
) -> ReportData:
    """Answers and commitments recorded between two local dates in a territory, within scope."""
    start, end = local_bounds(since, until, tz)
    parishes = await territory_parishes(session, territory_code)
    allowed = await districts_in_scope(session, scope)
    answer_query = select(DialogueAnswer).where(
        DialogueAnswer.created_at >= start, DialogueAnswer.created_at < end
    )
    commitment_query = select(Commitment).where(
        Commitment.created_at >= start, Commitment.created_at < end
    )
    if parishes is not None:
        answer_query = answer_query.where(DialogueAnswer.parish_code.in_(parishes))
        commitment_query = commitment_query.where(Commitment.parish_code.in_(parishes))
    if allowed is not None:
        visible = select(Parish.code).join(Canton, Canton.code == Parish.canton_code)
        visible = visible.where(Canton.district_code.in_(allowed))
        answer_query = answer_query.where(DialogueAnswer.parish_code.in_(visible))
        commitment_query = commitment_query.where(Commitment.parish_code.in_(visible))
    answers = await session.scalars(
        answer_query.order_by(DialogueAnswer.created_at, DialogueAnswer.id)
    )
    commitments = await session.scalars(commitment_query.order_by(Commitment.id))
    label = territory_code.strip().upper() or "Nacional"
    data = ReportData(title=f"Diálogo Ciudadano {label} {since.isoformat()} a {until.isoformat()}")
    _fill(data, list(answers), list(commitments))
    event_query = select(Event).where(Event.starts_at >= start, Event.starts_at < end)
    if parishes is not None:
        event_query = event_query.where(Event.parish_code.in_(parishes))
    if allowed is not None:
        event_query = event_query.where(Event.parish_code.in_(visible))
    events = list(await session.scalars(event_query.order_by(Event.starts_at, Event.id)))
    data.attendance = await attendance_of(session, events, tz)
    codes = {a.parish_code for a in data.answers} | {c.parish_code for c in data.commitments}
    # How each parish was reached in the period: SMS, Telegram and in person (the technicians).
    in_view = parishes if parishes is not None else list(await session.scalars(select(Parish.code)))
    if allowed is not None:
        inside = set(await session.scalars(visible))
        in_view = [c for c in in_view if c in inside]
    data.reach = await reach_by_parish(session, in_view, start, end)
    codes |= {a.parish_code for a in data.attendance} | {r.parish_code for r in data.reach}
    data.parishes = await _parish_names(session, codes)
    return data


def _fill(data: ReportData, answers: list[DialogueAnswer], commitments: list[Commitment]) -> None:
    data.answers = [
        AnswerRow(a.parish_code, a.question, a.answer_text, a.observations or "", a.contact_id)
        for a in answers
    ]
    data.commitments = [
        CommitmentRow(
            c.parish_code,
            c.proposal,
            c.citizen_commitment,
            c.institution_commitment,
            None if c.permanent else c.deadline,
            c.responsible_unit,
            c.status,
        )
        for c in commitments
    ]


# --- tables ----------------------------------------------------------------------------------


def _parish_order(data: ReportData, codes: set[str]) -> list[str]:
    def key(code: str) -> tuple[str, str]:
        name = data.parishes.get(code)
        return (name.name if name else code, code)

    return sorted(codes, key=key)


def _parish_label(data: ReportData, code: str) -> str:
    name = data.parishes.get(code)
    return f"{name.name} ({name.canton}, {name.province})" if name else code


def alerts_matrix(data: ReportData) -> Table:
    """The *Matriz de alertas y sugerencias*: one section per question, numbered answers.

    When the answers come from more than one parish, each parish gets its own block, headed by a
    «PARROQUIA: …» row.
    """
    grouped: dict[tuple[str, int], list[AnswerRow]] = defaultdict(list)
    for a in data.answers:
        grouped[(a.parish_code, a.question)].append(a)
    codes = _parish_order(data, {a.parish_code for a in data.answers})
    table: Table = []
    for code in codes or [""]:
        if len(codes) > 1:
            table.append([f"PARROQUIA: {_parish_label(data, code)}", "", ""])
        for q in QUESTIONS:
            first = ALERTS_FIRST_COLUMN if q.number == 1 else ""
            table.append([first, q.section, OBSERVATIONS])
            rows = grouped.get((code, q.number), [])
            if not rows:
                table.append([q.text, "", ""])
            for index, answer in enumerate(rows, start=1):
                table.append(
                    [q.text if index == 1 else "", f"{index}. {answer.text}", answer.observations]
                )
    return table


def deadline_text(deadline: date | None) -> str:
    """«Permanente» or the date as dd/mm/yyyy, as the matrix writes it."""
    return PERMANENT if deadline is None else deadline.strftime("%d/%m/%Y")


def commitments_matrix(data: ReportData, ministry: str = "MIES") -> Table:
    """The *Matriz de compromisos*: the seed's header rows and columns, then follow-up columns."""
    full_name = MINISTRY_FULL_NAMES.get(ministry.upper(), ministry)
    width = len(COMMITMENT_COLUMNS) + len(FOLLOW_UP_COLUMNS)
    table: Table = [
        _pad([full_name, "", "EL NUEVO ECUADOR", ""], width),
        _pad(["CIUDADANÍA", "", ministry, ""], width),
        [*COMMITMENT_COLUMNS, *FOLLOW_UP_COLUMNS],
    ]
    for row in data.commitments:
        table.append(
            [
                row.proposal,
                row.citizen_commitment,
                row.institution_commitment,
                PERMANENT if row.deadline is None else row.deadline,
                row.responsible_unit,
                COMMITMENT_STATUS_LABELS.get(row.status, row.status),
            ]
        )
    return table


def counts_table(data: ReportData) -> Table:
    """Answers per parish and question, participants and commitments, with a total row."""
    answers: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    people: dict[str, set[int]] = defaultdict(set)
    commitments: dict[str, int] = defaultdict(int)
    for a in data.answers:
        answers[a.parish_code][a.question] += 1
        if a.contact_id is not None:
            people[a.parish_code].add(a.contact_id)
    for c in data.commitments:
        commitments[c.parish_code] += 1
    table: Table = [list(COUNT_COLUMNS)]
    totals = [0] * (len(QUESTIONS) + 3)
    for code in _parish_order(data, set(answers) | set(commitments)):
        name = data.parishes.get(code)
        per_question = [answers[code][q.number] for q in QUESTIONS]
        figures = [*per_question, sum(per_question), len(people[code]), commitments[code]]
        totals = [t + f for t, f in zip(totals, figures, strict=True)]
        table.append(
            [
                name.name if name else code,
                code,
                name.canton if name else "",
                name.province if name else "",
                *figures,
            ]
        )
    table.append(["TOTAL", "", "", "", *totals])
    return table


ATTENDANCE_COLUMNS = (
    "Evento",
    "Fecha",
    "Parroquia",
    "Participantes",
    "Institución",
    "Servicio",
    "Atenciones",
    "Detalle",
)


def attendance_table(data: ReportData, ministry: str = "MIES") -> Table:
    """Each event's participants and attentions per institution and service, then the report's
    sentences («Los servicios MIES, atendieron a: …»)."""
    table: Table = [list(ATTENDANCE_COLUMNS)]
    for view in data.attendance:
        parish = _parish_label(data, view.parish_code)
        table.append([view.title, view.held_on, parish, view.participants or 0, "", "", "", ""])
        for line in view.lines:
            table.append(["", "", "", "", line.institution, line.service, line.people, line.detail])
        table.append(
            _pad(["TOTAL ATENCIONES", "", "", "", "", "", sum(x.people for x in view.lines)], 8)
        )
    for view in data.attendance:
        table.append(_pad([], 8))
        table.append(_pad([view.title], 8))
        table.extend(_pad([line], 8) for line in summary_lines(view, ministry))
    return table


REACH_COLUMNS = (
    "Parroquia",
    "Código",
    "SMS enviados",
    "Telegram enviados",
    "Informados en persona",
)


def reach_table(data: ReportData) -> Table:
    """Per parish: SMS and Telegram sent, families a technician informed in person; a total."""
    table: Table = [list(REACH_COLUMNS)]
    for row in sorted(data.reach, key=lambda r: _parish_label(data, r.parish_code)):
        name = data.parishes.get(row.parish_code)
        table.append(
            [
                name.name if name else row.parish_code,
                row.parish_code,
                row.sms,
                row.telegram,
                row.in_person,
            ]
        )
    table.append(
        [
            "TOTAL",
            "",
            sum(r.sms for r in data.reach),
            sum(r.telegram for r in data.reach),
            sum(r.in_person for r in data.reach),
        ]
    )
    return table


def _pad(row: list[CellValue], width: int) -> list[CellValue]:
    return row + [""] * (width - len(row))


# --- writing ---------------------------------------------------------------------------------


def to_csv(table: Sequence[Sequence[CellValue]]) -> str:
    """Renders a table as CSV text (formula-safe cells, CRLF rows as RFC 4180 says)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in table:
        writer.writerow([csv_text(cell) for cell in row])
    return buffer.getvalue()


def write_csv(table: Sequence[Sequence[CellValue]], path: Path) -> None:
    """Writes a table as UTF-8 (with BOM) CSV to `path`."""
    path.write_text(to_csv(table), encoding="utf-8-sig", newline="")


def write_xlsx(sheets: dict[str, Table], path: Path) -> None:
    """Writes one worksheet per table: numbers and dates typed, text never a formula.

    Uses openpyxl's write-only mode (rows are streamed), so large exports stay fast and small.
    """
    workbook = Workbook(write_only=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    bold = Font(bold=True)
    for title, table in sheets.items():
        sheet = workbook.create_sheet(title[:31])
        width = max((len(r) for r in table), default=0)
        for c in range(1, width + 1):
            sheet.column_dimensions[get_column_letter(c)].width = 45
        for r, row in enumerate(table):
            cells = []
            for value in row:
                cell = xlsx_cell(sheet, value)
                cell.alignment = wrap
                if r == 0:
                    cell.font = bold
                cells.append(cell)
            sheet.append(cells)
    workbook.save(path)


def report_sheets(data: ReportData, ministry: str = "MIES") -> dict[str, Table]:
    """The tables of an export, by sheet name (attendance only when some was recorded)."""
    sheets = {
        "Alertas y sugerencias": alerts_matrix(data),
        "Compromisos": commitments_matrix(data, ministry),
        "Resumen": counts_table(data),
    }
    if data.attendance:
        sheets["Asistencia"] = attendance_table(data, ministry)
    if data.reach:
        sheets["Difusión"] = reach_table(data)
    return sheets


def export(data: ReportData, directory: Path, stem: str, fmt: str, ministry: str) -> list[Path]:
    """Writes the export as three CSV files or one XLSX workbook; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    sheets = report_sheets(data, ministry)
    if fmt == "xlsx":
        path = directory / f"{stem}.xlsx"
        write_xlsx(sheets, path)
        return [path]
    if fmt != "csv":
        raise ValueError(f"unknown format {fmt}")
    names = {
        "Alertas y sugerencias": "matriz_alertas",
        "Compromisos": "matriz_compromisos",
        "Resumen": "resumen",
        "Asistencia": "asistencia",
        "Difusión": "difusion",
    }
    paths = []
    for title, table in sheets.items():
        path = directory / f"{stem}_{names[title]}.csv"
        write_csv(table, path)
        paths.append(path)
    return paths
