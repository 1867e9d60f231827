"""Follow-up cases for district directorates: opening, the verification workflow, scoped lists.

A case belongs to the district directorate of its parish (`district_code`), or to the national
queue (`None`) while the canton has no district mapping. Staff see and act on cases through a
`StaffScope`: a district analyst only their district, a zonal coordinator the districts of their
zone, admins and auditors everything (auditors read-only). Each status change is a dated
`CaseUpdate` and a notice to the reporter through the outbox.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.case_reference import CaseReference
from bot.domain.dialogue import CASE_STATUS_LABELS, CASE_TRANSITIONS, can_move_case
from bot.domain.errors import N_, InvalidTransition, NotAllowed, NotFound
from bot.domain.staff import Role, StaffScope
from bot.i18n import translator
from bot.services import audit
from bot.services.authz import Action, authorize
from bot.storage.models import Case, CaseUpdate, Contact, District
from notificaciones import outbox_states
from notificaciones.outbox import enqueue

log = logging.getLogger(__name__)

CASE_KINDS = ("excluido", "verificacion", "fraude")
CASE_STATUSES = ("nuevo", "en_verificacion", "incluido", "no_califica", "no_localizado")
CLOSED_STATUSES = ("incluido", "no_califica", "no_localizado")
DEFAULT_DUE_DAYS = 15
# A fraud report (someone charging for a bono) is reviewed first: due in this many days.
PRIORITY_DUE_DAYS = 2
NOTIFY_CHANNELS = ("telegram", "sms", "whatsapp")


@dataclass(frozen=True)
class CaseView:
    """A case as staff see it in lists (no reporter identity)."""

    id: int
    number: str
    kind: str
    status: str
    district_code: str | None
    parish_code: str | None
    person_category: str | None
    description: str
    contact_info: str | None
    due_on: date | None
    created_at: datetime
    updated_at: datetime

    def overdue(self, today: date) -> bool:
        """Whether the due date has passed and the case is still open."""
        return (
            self.due_on is not None and self.due_on < today and self.status not in CLOSED_STATUSES
        )


@dataclass(frozen=True)
class CaseHistoryEntry:
    """One dated status change of a case."""

    status: str
    note: str
    staff_id: int | None
    at: datetime


@dataclass(frozen=True)
class StatusChange:
    """The outcome of a status change: the case and whether the reporter was notified."""

    case: CaseView
    previous: str
    reporter_notified: bool


def _view(case: Case) -> CaseView:
    return CaseView(
        id=case.id,
        number=case.number,
        kind=case.kind,
        status=case.status,
        district_code=case.district_code,
        parish_code=case.parish_code,
        person_category=case.person_category,
        description=case.description,
        contact_info=case.contact_info,
        due_on=case.due_on,
        created_at=case.created_at,
        updated_at=case.updated_at,
    )


async def open_case(
    session: AsyncSession,
    *,
    kind: str,
    now: datetime,
    district_code: str | None,
    parish_code: str | None,
    description: str,
    person_category: str | None = None,
    contact_info: str | None = None,
    cedula: str | None = None,
    reporter_contact_id: int | None = None,
    reporter_consent: bool = False,
    due_days: int = DEFAULT_DUE_DAYS,
) -> Case:
    """Creates a case in status «nuevo» and returns it with its number (e.g. 11D06-2026-00042)."""
    if kind not in CASE_KINDS:
        raise ValueError(f"unknown case kind {kind}")
    case = Case(
        number="pending",
        kind=kind,
        district_code=district_code,
        parish_code=parish_code,
        status="nuevo",
        person_category=person_category,
        description=description,
        contact_info=contact_info,
        cedula=cedula,
        reporter_contact_id=reporter_contact_id,
        reporter_consent=reporter_consent,
        due_on=(now + timedelta(days=due_days)).date(),
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    await session.flush()
    case.number = f"{district_code or 'NAC'}-{now.year}-{case.id:05d}"
    session.add(CaseUpdate(case_id=case.id, status="nuevo", note="", staff_id=None, created_at=now))
    await session.flush()
    log.info("case %s opened (%s)", case.number, kind)
    return case


async def open_citizen_case(
    session: AsyncSession,
    *,
    actor: str,
    audit_action: str,
    audit_outcome: str,
    kind: str,
    now: datetime,
    district_code: str | None,
    parish_code: str | None,
    description: str,
    person_category: str | None = None,
    contact_info: str | None = None,
    cedula: str | None = None,
    reporter_contact_id: int | None = None,
    reporter_consent: bool = False,
    due_days: int = DEFAULT_DUE_DAYS,
) -> Case:
    """A case a citizen asked for, opened and audited in one call (`actor`: channel:address).

    The audit row is `audit_action` on the case number with `audit_outcome`.
    """
    case = await open_case(
        session,
        kind=kind,
        now=now,
        district_code=district_code,
        parish_code=parish_code,
        description=description,
        person_category=person_category,
        contact_info=contact_info,
        cedula=cedula,
        reporter_contact_id=reporter_contact_id,
        reporter_consent=reporter_consent,
        due_days=due_days,
    )
    await audit.record(
        session,
        at=now,
        actor_kind="citizen",
        actor=actor,
        action=audit_action,
        target=case.number,
        outcome=audit_outcome,
    )
    return case


async def cases_of_reporter(session: AsyncSession, contact_id: int) -> list[CaseView]:
    """The cases a contact reported (with consent to follow them), newest first."""
    rows = await session.scalars(
        select(Case)
        .where(Case.reporter_contact_id == contact_id)
        .order_by(Case.created_at.desc(), Case.id.desc())
    )
    return [_view(case) for case in rows]


async def reporter_case(
    session: AsyncSession, contact_id: int, reference: CaseReference
) -> CaseView | None:
    """The contact's own case that `reference` names, or None (also when it is someone else's:
    the two read the same, so trying numbers tells nothing about other people's cases)."""
    query = select(Case).where(Case.reporter_contact_id == contact_id)
    if reference.number is not None:
        query = query.where(Case.number == reference.number)
    else:
        query = query.where(Case.id == reference.serial)
    case = await session.scalar(query)
    return None if case is None else _view(case)


async def count_cases(session: AsyncSession, district_code: str) -> int:
    """How many cases a district has."""
    return int(
        await session.scalar(
            select(func.count()).select_from(Case).where(Case.district_code == district_code)
        )
        or 0
    )


async def districts_in_scope(session: AsyncSession, scope: StaffScope) -> list[str] | None:
    """The district codes `scope` may see; None means every district and the national queue."""
    if scope.role in (Role.ADMIN, Role.AUDITOR):
        return None
    if scope.role is Role.ZONAL:
        if scope.zone_code is None:
            return []
        codes = await session.scalars(
            select(District.code).where(District.zone_code == scope.zone_code)
        )
        return sorted(codes)
    return [scope.district_code] if scope.district_code else []


async def in_scope(session: AsyncSession, scope: StaffScope, district_code: str | None) -> bool:
    """Whether `scope` may see things of `district_code` (None is the national queue)."""
    allowed = await districts_in_scope(session, scope)
    return allowed is None or (district_code is not None and district_code in allowed)


def _scoped(query: Select[Case], allowed: list[str] | None) -> Select[Case]:
    if allowed is None:
        return query
    return query.where(Case.district_code.in_(allowed))


async def list_cases(
    session: AsyncSession,
    scope: StaffScope,
    *,
    status: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
    national_queue: bool = False,
) -> list[CaseView]:
    """Cases visible to `scope`, oldest due first; filter by status and kind.

    `national_queue` lists only the cases of places without a district (national roles only).
    """
    if status is not None and status not in CASE_STATUSES:
        raise InvalidTransition(N_("Estado de caso desconocido: {status}."), status=status)
    query = select(Case)
    if status is not None:
        query = query.where(Case.status == status)
    if kind is not None:
        query = query.where(Case.kind == kind)
    allowed = await districts_in_scope(session, scope)
    if national_queue:
        query = query.where(Case.district_code.is_(None) if allowed is None else false())
    query = _scoped(query, allowed)
    query = query.order_by(Case.due_on, Case.id).limit(limit).offset(offset)
    return [_view(c) for c in await session.scalars(query)]


async def _load(session: AsyncSession, scope: StaffScope, number: str) -> Case:
    case = await session.scalar(select(Case).where(Case.number == number.strip().upper()))
    if case is None:
        raise NotFound(N_("No existe el caso {number}."), number=number)
    if not await in_scope(session, scope, case.district_code):
        raise NotAllowed(N_("El caso {number} no pertenece a su territorio."), number=case.number)
    return case


async def get_case(session: AsyncSession, scope: StaffScope, number: str) -> CaseView:
    """The case with `number`, if `scope` may see it (else `NotAllowed`; unknown: `NotFound`)."""
    return _view(await _load(session, scope, number))


async def case_history(
    session: AsyncSession, scope: StaffScope, number: str
) -> list[CaseHistoryEntry]:
    """The dated status changes of a case visible to `scope`, oldest first."""
    case = await _load(session, scope, number)
    rows = await session.scalars(
        select(CaseUpdate).where(CaseUpdate.case_id == case.id).order_by(CaseUpdate.id)
    )
    return [CaseHistoryEntry(r.status, r.note, r.staff_id, r.created_at) for r in rows]


async def change_case_status(
    session: AsyncSession,
    scope: StaffScope,
    number: str,
    status: str,
    *,
    now: datetime,
    note: str = "",
    due_days: int | None = None,
    ministry: str = "MIES",
) -> StatusChange:
    """Moves a case along its workflow, records the update and notifies the reporter.

    Raises `NotAllowed` for auditors and out-of-territory staff, `NotFound` for an unknown
    number and `InvalidTransition` for a step the workflow does not allow.
    """
    if scope.read_only:
        raise NotAllowed(N_("Su rol de auditoría solo permite consultar, no cambiar casos."))
    case = await _load(session, scope, number)
    if status not in CASE_STATUSES:
        raise InvalidTransition(N_("Estado de caso desconocido: {status}."), status=status)
    if not can_move_case(case.status, status):
        allowed = ", ".join(CASE_TRANSITIONS.get(case.status, ())) or "—"
        raise InvalidTransition(
            N_(
                "El caso {number} está «{current}» y no puede pasar a «{target}». "
                "Permitido: {allowed}."
            ),
            number=case.number,
            current=case.status,
            target=status,
            allowed=allowed,
        )
    previous = case.status
    case.status = status
    case.updated_at = now
    if due_days is not None:
        case.due_on = (now + timedelta(days=due_days)).date()
    staff_id = scope.staff_id or None
    update = CaseUpdate(
        case_id=case.id, status=status, note=note.strip(), staff_id=staff_id, created_at=now
    )
    session.add(update)
    await session.flush()
    await audit.record(
        session,
        at=now,
        actor_kind="staff",
        actor=str(scope.staff_id),
        action="case_status",
        target=case.number,
        outcome=status,
        detail={"from": previous},
    )
    notified = await _notify_reporter(session, case, update, now, ministry)
    return StatusChange(_view(case), previous, notified)


async def _notify_reporter(
    session: AsyncSession, case: Case, update: CaseUpdate, now: datetime, ministry: str
) -> bool:
    """Enqueues the status notice to the reporter (Telegram chat or SMS phone), when possible."""
    if case.reporter_contact_id is None or not case.reporter_consent:
        return False
    contact = await session.get(Contact, case.reporter_contact_id)
    if contact is None or contact.channel not in NOTIFY_CHANNELS:
        return False
    tr = translator(contact.locale)
    body = tr.t(
        "{ministry}: su caso {number} cambió a «{status}».",
        ministry=ministry,
        number=case.number,
        status=tr.t(CASE_STATUS_LABELS[case.status]),
    )
    if update.note and contact.channel == "telegram":
        body += "\n" + tr.t("Nota: {note}", note=update.note)
    message = await enqueue(
        session,
        channel=contact.channel,
        address=contact.address,
        body=body,
        kind="caso",
        dedupe_key=f"case:{case.id}:update:{update.id}",
        due_at=now,
        now=now,
    )
    return message is not None


async def unlink_reporter(session: AsyncSession, contact_id: int) -> list[str]:
    """Cuts a citizen's cases from them on erasure; returns the case numbers.

    A case stays for the district's follow-up with its description, parish and category; its
    cédula, whereabouts text, reporter and consent are emptied, and its status notices in the
    outbox lose their text and the key that named the case, so nothing links it to the chat.
    """
    cases = list(await session.scalars(select(Case).where(Case.reporter_contact_id == contact_id)))
    for case in cases:
        case.cedula = None
        case.contact_info = None
        case.reporter_contact_id = None
        case.reporter_consent = False
        # settled ones only: erasure withdrew the queued ones first
        await outbox_states.forget_settled_keyed(
            session, f"case:{case.id}:update:%", prefix="erased:"
        )
    await session.flush()
    return [case.number for case in cases]


async def assign_case_district(
    session: AsyncSession,
    scope: StaffScope,
    number: str,
    district_code: str,
    *,
    now: datetime,
    note: str = "",
) -> CaseView:
    """Hands a case (often one of the national queue) to a district directorate.

    The staff member must be allowed to update cases both where the case is now (the national
    queue: national roles only) and in the district it goes to; the move is a dated update in the
    case's history and audited. The reporter is not notified: the case's status did not change.
    """
    case = await session.scalar(select(Case).where(Case.number == number.strip().upper()))
    if case is None:
        raise NotFound(N_("No existe el caso {number}."), number=number)
    await authorize(session, scope, Action.UPDATE_CASE, now=now, district_code=case.district_code)
    target = await session.get(District, district_code.strip().upper())
    if target is None:
        raise NotFound(N_("La dirección distrital {code} no existe."), code=district_code)
    await authorize(session, scope, Action.UPDATE_CASE, now=now, district_code=target.code)
    previous = case.district_code
    case.district_code = target.code
    case.updated_at = now
    text = note.strip() or f"→ {target.code}"
    session.add(
        CaseUpdate(
            case_id=case.id,
            status=case.status,
            note=text,
            staff_id=scope.staff_id or None,
            created_at=now,
        )
    )
    await session.flush()
    await audit.record(
        session,
        at=now,
        actor_kind="staff",
        actor=f"staff:{scope.staff_id}",
        action="case_assigned",
        target=case.number,
        outcome=target.code,
        detail={"from": previous},
    )
    return _view(case)


async def authorize_case(
    session: AsyncSession, scope: StaffScope, number: str, action: Action, *, now: datetime
) -> CaseView:
    """The case with `number` when the role × territory table allows `action` on it.

    Raises `NotFound` for an unknown number and `PermissionDenied` (audited) otherwise; the
    national queue (no district) is for national roles only.
    """
    case = await session.scalar(select(Case).where(Case.number == number.strip().upper()))
    if case is None:
        raise NotFound(N_("No existe el caso {number}."), number=number)
    await authorize(session, scope, action, now=now, district_code=case.district_code)
    return _view(case)


async def district_choices(session: AsyncSession, scope: StaffScope) -> list[tuple[str, str]]:
    """(code, name) of the district directorates `scope` may hand cases to."""
    allowed = await districts_in_scope(session, scope)
    query = select(District.code, District.name).order_by(District.code)
    if allowed is not None:
        query = query.where(District.code.in_(allowed))
    return [(code, name) for code, name in await session.execute(query)]
