"""Printable field lists (PDF): whom a technician informs in person, where there is no signal.

The seed report's citizens asked to be reached «through the technicians who visit the sectors,
because the parish has poor phone connectivity», and the ministry committed to inform them in
advance of its events through the technical teams. A field list is that commitment on paper, per
parish or per technician: the parish's upcoming events, the ministry's open commitments there,
and each family with its pending conditions (what, by when, where to go) and next home visit,
with a box to tick once informed (then recorded with `technicians.record_informed`).

Made with fpdf2 and its core Helvetica font (Latin-1: every Spanish letter), so the PDF needs no
font file on the server; a character outside Latin-1 prints as «?».
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.dialogue import COMMITMENT_STATUS_LABELS, PERMANENT
from bot.domain.errors import N_
from bot.domain.staff import Role, StaffScope
from bot.i18n import Translator
from bot.services.authz import Action, PermissionDenied, authorize
from bot.services.technicians import (
    FamilyRow,
    TechnicianError,
    assignments_of,
    families,
    parish_names,
)
from bot.storage.models import Commitment, Event, Staff

EVENTS_AHEAD = timedelta(days=30)
MAX_EVENTS = 8


@dataclass(frozen=True)
class EventLine:
    """An upcoming event of the parish, in local time."""

    when: datetime
    title: str
    place: str


@dataclass(frozen=True)
class CommitmentLine:
    """An open commitment of the parish: both columns of the matrix and the deadline."""

    institution: str
    citizens: str
    deadline: date | None
    status: str


@dataclass
class ParishSection:
    """One parish of a field list."""

    code: str
    name: str
    events: list[EventLine] = field(default_factory=list)
    commitments: list[CommitmentLine] = field(default_factory=list)
    families: list[FamilyRow] = field(default_factory=list)


@dataclass
class FieldList:
    """A whole field list: for whom, when it was made, and its parishes."""

    title: str
    generated_at: datetime
    zone: ZoneInfo
    technician: str | None
    sections: list[ParishSection]


async def _section(
    session: AsyncSession,
    scope: StaffScope | None,
    code: str,
    name: str,
    now: datetime,
    zone: ZoneInfo,
) -> ParishSection:
    section = ParishSection(code, name)
    section.families = await families(session, scope, code, now=now, action=Action.PRINT_FIELD_LIST)
    events = await session.scalars(
        select(Event)
        .where(
            Event.parish_code == code,
            Event.cancelled_at.is_(None),
            Event.starts_at >= now,
            Event.starts_at <= now + EVENTS_AHEAD,
        )
        .order_by(Event.starts_at)
        .limit(MAX_EVENTS)
    )
    section.events = [EventLine(e.starts_at.astimezone(zone), e.title, e.place) for e in events]
    commitments = await session.scalars(
        select(Commitment)
        .where(Commitment.parish_code == code, Commitment.status != "cumplido")
        .order_by(Commitment.id)
    )
    section.commitments = [
        CommitmentLine(
            c.institution_commitment,
            c.citizen_commitment,
            None if c.permanent else c.deadline,
            c.status,
        )
        for c in commitments
    ]
    return section


async def parish_field_list(
    session: AsyncSession,
    scope: StaffScope | None,
    parish_code: str,
    *,
    now: datetime,
    zone: ZoneInfo,
) -> FieldList:
    """The field list of one parish (authorised: district in scope, assigned to a technician)."""
    names = await parish_names(session, [parish_code])
    if parish_code not in names:
        raise TechnicianError(N_("No existe la parroquia {code}."), code=parish_code)
    # `families` authorises: the parish's district in scope and, for a technician, assigned.
    section = await _section(session, scope, parish_code, names[parish_code], now, zone)
    return FieldList(
        title=f"Lista de campo - {names[parish_code]}",
        generated_at=now.astimezone(zone),
        zone=zone,
        technician=None,
        sections=[section],
    )


async def technician_field_list(
    session: AsyncSession,
    scope: StaffScope | None,
    technician_id: int,
    *,
    now: datetime,
    zone: ZoneInfo,
) -> FieldList:
    """The field list of every parish assigned to a technician.

    A technician prints only their own; other staff print those of technicians of their
    territory.
    """
    technician = await session.get(Staff, technician_id)
    if technician is None or technician.role != Role.TECHNICIAN.value:
        raise TechnicianError(
            N_("La cuenta {id} no es de un técnico de acompañamiento familiar."), id=technician_id
        )
    allowed = await authorize(
        session, scope, Action.PRINT_FIELD_LIST, now=now, district_code=technician.district_code
    )
    if allowed.role is Role.TECHNICIAN and allowed.staff_id != technician_id:
        raise PermissionDenied(
            N_("Disculpe, solo puede imprimir su propia lista de campo."), "assignment"
        )
    # The list shows exactly what the technician may see: act with the technician's scope.
    as_technician = StaffScope(
        technician.id, Role.TECHNICIAN, technician.zone_code, technician.district_code
    )
    assigned = await assignments_of(session, technician_id)
    names = await parish_names(session, list(assigned))
    sections = [
        await _section(session, as_technician, code, names.get(code, code), now, zone)
        for code in sorted(assigned, key=lambda c: names.get(c, c))
    ]
    return FieldList(
        title=f"Lista de campo - {technician.name}",
        generated_at=now.astimezone(zone),
        zone=zone,
        technician=technician.name,
        sections=sections,
    )


# --- PDF ------------------------------------------------------------------------------------


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=7)
        self.cell(0, 5, _latin1(f"{self.footer_text} - pág. {self.page_no()}"), align="C")


def _deadline(tr: Translator, deadline: date | None) -> str:
    return tr.t(PERMANENT) if deadline is None else tr.date(deadline, "short")


def _family_lines(tr: Translator, family: FamilyRow, zone: ZoneInfo) -> list[str]:
    lines = []
    for c in family.conditions:
        when = tr.t("sin fecha") if c.due_on is None else tr.date(c.due_on, "short")
        lines.append(f"- {tr.t(c.label)}: {when}. {tr.t('Dónde')}: {tr.t(c.where)}")
    if family.suspended:
        lines.append("- " + tr.t("Pago suspendido: explicar los pasos para rehabilitarlo."))
    if family.next_visit is not None:
        start = family.next_visit.window_start.astimezone(zone)
        end = family.next_visit.window_end.astimezone(zone)
        lines.append(
            "- "
            + tr.t(
                "Próxima visita: {day}, {start}-{end}",
                day=tr.date(start.date(), "short"),
                start=start.strftime("%H:%M"),
                end=end.strftime("%H:%M"),
            )
        )
    if family.informed_at is not None:
        lines.append(
            "- "
            + tr.t(
                "Informada en persona el {day}",
                day=tr.date(family.informed_at.astimezone(zone).date(), "short"),
            )
        )
    return lines


def render_pdf(data: FieldList, tr: Translator, ministry: str) -> bytes:
    """The field list as an A4 PDF: one block per parish, a tick box per family."""
    pdf = _Pdf(format="A4")
    pdf.footer_text = f"{ministry} - {data.title}"
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_margins(15, 15, 15)
    width = pdf.w - 30

    def text(value: str, size: float = 10, style: str = "", height: float = 5) -> None:
        pdf.set_font("Helvetica", style=style, size=size)
        pdf.multi_cell(width, height, _latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    for section in data.sections or [ParishSection("", "")]:
        pdf.add_page()
        text(data.title, 14, "B", 7)
        generated = tr.date(data.generated_at.date(), "long") + data.generated_at.strftime(" %H:%M")
        text(tr.t("Acompañamiento Familiar - generada el {when}", when=generated), 9)
        if data.technician:
            text(tr.t("Técnico: {name}", name=data.technician), 9)
        pdf.ln(2)
        if not section.code:
            text(tr.t("No tiene parroquias asignadas."))
            continue
        text(tr.t("Parroquia {name} ({code})", name=section.name, code=section.code), 12, "B", 6)
        pdf.ln(1)
        text(tr.t("Próximos eventos del Ministerio (informar a las familias)"), 11, "B", 6)
        if not section.events:
            text(tr.t("No hay eventos programados en los próximos 30 días."))
        for event in section.events:
            when = tr.datetime(event.when)
            text(f"[  ] {when} - {event.title} - {event.place}")
        pdf.ln(1)
        text(tr.t("Compromisos en la parroquia"), 11, "B", 6)
        if not section.commitments:
            text(tr.t("No hay compromisos abiertos."))
        for item in section.commitments:
            status = tr.t(COMMITMENT_STATUS_LABELS.get(item.status, item.status))
            text(
                tr.t(
                    "Institución: {institution} | Ciudadanía: {citizens} | Plazo: {deadline} "
                    "| {status}",
                    institution=item.institution,
                    citizens=item.citizens,
                    deadline=_deadline(tr, item.deadline),
                    status=status,
                ),
                9,
            )
        pdf.ln(1)
        text(tr.t("Familias a informar ({count})", count=len(section.families)), 11, "B", 6)
        if not section.families:
            text(tr.t("Ninguna familia con condiciones pendientes o visitas."))
        for family in section.families:
            text(f"[  ] {family.names}", 10, "B")
            for line in _family_lines(tr, family, data.zone):
                text(line, 9, height=4.5)
            pdf.ln(1)
    return bytes(pdf.output())
