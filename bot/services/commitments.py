"""The commitments matrix of each dialogue: recording, dated status updates, parish notices.

Staff record, per dialogue, each proposal with the citizens' and the institution's commitment,
the deadline (a date or *Permanente*) and the responsible unit. Every status change is a dated
`CommitmentUpdate`, and the parish's subscribers (topic «compromisos») get a notice through the
outbox on the channel they subscribed with.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.clock import utc_now
from bot.domain.dialogue import COMMITMENT_STATUS_LABELS, COMMITMENT_STATUSES, check_length
from bot.domain.errors import N_, InvalidTransition, NotAllowed, NotFound
from bot.domain.staff import StaffScope
from bot.i18n import translator
from bot.services import audit, subscriptions
from bot.services.cases import in_scope
from bot.services.dialogues import district_of_parish
from bot.storage.models import (
    Commitment,
    CommitmentUpdate,
    Contact,
    DialogueSession,
    Subscription,
)
from notificaciones.outbox import enqueue

log = logging.getLogger(__name__)

TOPIC = "compromisos"
MAX_COMMITMENT_CHARS = 2000


@dataclass(frozen=True)
class CommitmentView:
    """A commitments-matrix row with its follow-up status."""

    id: int
    session_id: int | None
    parish_code: str
    proposal: str
    citizen_commitment: str
    institution_commitment: str
    deadline: date | None
    permanent: bool
    responsible_unit: str
    status: str
    updated_at: datetime


@dataclass(frozen=True)
class CommitmentChange:
    """The outcome of a status change: the commitment and how many notices were queued."""

    commitment: CommitmentView
    previous: str
    notices: int


def _view(row: Commitment) -> CommitmentView:
    return CommitmentView(
        id=row.id,
        session_id=row.session_id,
        parish_code=row.parish_code,
        proposal=row.proposal,
        citizen_commitment=row.citizen_commitment,
        institution_commitment=row.institution_commitment,
        deadline=row.deadline,
        permanent=row.permanent,
        responsible_unit=row.responsible_unit,
        status=row.status,
        updated_at=row.updated_at,
    )


async def _check_scope(session: AsyncSession, scope: StaffScope, parish_code: str) -> None:
    if scope.read_only:
        raise NotAllowed(N_("Su rol de auditoría solo permite consultar."))
    if not await in_scope(session, scope, await district_of_parish(session, parish_code)):
        raise NotAllowed(N_("La parroquia {code} no pertenece a su territorio."), code=parish_code)


async def add_commitment(
    session: AsyncSession,
    scope: StaffScope,
    *,
    session_id: int,
    proposal: str,
    citizen_commitment: str,
    institution_commitment: str,
    deadline: date | None,
    responsible_unit: str,
    now: datetime,
    status: str = "pendiente",
) -> CommitmentView:
    """Adds a row to a dialogue's commitments matrix; `deadline=None` means *Permanente*."""
    dialogue = await session.get(DialogueSession, session_id)
    if dialogue is None:
        raise NotFound(N_("No existe el diálogo {id}."), id=session_id)
    await _check_scope(session, scope, dialogue.parish_code)
    if status not in COMMITMENT_STATUSES:
        raise InvalidTransition(N_("Estado de compromiso desconocido: {status}."), status=status)
    texts = [
        check_length(t, MAX_COMMITMENT_CHARS)
        for t in (proposal, citizen_commitment, institution_commitment)
    ]
    if not texts[0] or not texts[2]:
        raise InvalidTransition(
            N_("Un compromiso necesita la propuesta y el compromiso de la institución.")
        )
    unit = responsible_unit.strip()
    if not unit or len(unit) > 120:
        raise InvalidTransition(N_("Indique la unidad responsable (hasta 120 caracteres)."))
    row = Commitment(
        session_id=session_id,
        parish_code=dialogue.parish_code,
        proposal=texts[0],
        citizen_commitment=texts[1],
        institution_commitment=texts[2],
        deadline=deadline,
        permanent=deadline is None,
        responsible_unit=unit,
        status=status,
        created_by=scope.staff_id or None,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    session.add(
        CommitmentUpdate(
            commitment_id=row.id,
            status=status,
            note="",
            staff_id=scope.staff_id or None,
            created_at=now,
        )
    )
    await session.flush()
    return _view(row)


async def change_commitment_status(
    session: AsyncSession,
    scope: StaffScope,
    commitment_id: int,
    status: str,
    *,
    now: datetime,
    note: str = "",
    ministry: str = "MIES",
) -> CommitmentChange:
    """Records a dated status change and queues a notice for each parish subscriber."""
    row = await session.get(Commitment, commitment_id)
    if row is None:
        raise NotFound(N_("No existe el compromiso {id}."), id=commitment_id)
    await _check_scope(session, scope, row.parish_code)
    if status not in COMMITMENT_STATUSES:
        raise InvalidTransition(N_("Estado de compromiso desconocido: {status}."), status=status)
    if status == row.status:
        raise InvalidTransition(N_("El compromiso {id} ya está en ese estado."), id=commitment_id)
    previous = row.status
    row.status = status
    row.updated_at = now
    update = CommitmentUpdate(
        commitment_id=row.id,
        status=status,
        note=note.strip(),
        staff_id=scope.staff_id or None,
        created_at=now,
    )
    session.add(update)
    await session.flush()
    await audit.record(
        session,
        at=now,
        actor_kind="staff",
        actor=str(scope.staff_id),
        action="commitment_status",
        target=str(row.id),
        outcome=status,
        detail={"from": previous},
    )
    notices = 0
    for sub, locale in await _subscribers(session, row.parish_code):
        tr = translator(locale)
        body = tr.t(
            "{ministry}: el compromiso «{proposal}» de su parroquia está ahora «{status}».",
            ministry=ministry,
            proposal=_short(row.proposal),
            status=tr.t(COMMITMENT_STATUS_LABELS[status]),
        )
        queued = await enqueue(
            session,
            channel=sub.channel,
            address=sub.address,
            body=body,
            kind="compromiso",
            dedupe_key=f"commitment:{row.id}:update:{update.id}:sub:{sub.id}",
            due_at=now,
            now=now,
        )
        notices += queued is not None
    return CommitmentChange(_view(row), previous, notices)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


async def _subscribers(
    session: AsyncSession, parish_code: str
) -> list[tuple[Subscription, str | None]]:
    rows = await session.execute(
        select(Subscription, Contact.locale)
        .join(Contact, Contact.id == Subscription.contact_id)
        .where(Subscription.parish_code == parish_code, Subscription.topic == TOPIC)
        .order_by(Subscription.id)
    )
    return [(row[0], row[1]) for row in rows]


async def parish_commitments(session: AsyncSession, parish_code: str) -> list[CommitmentView]:
    """A parish's commitments, newest dialogue first, for citizens to see."""
    rows = await session.scalars(
        select(Commitment)
        .where(Commitment.parish_code == parish_code)
        .order_by(Commitment.session_id.desc(), Commitment.id)
    )
    return [_view(r) for r in rows]


async def session_commitments(session: AsyncSession, session_id: int) -> list[CommitmentView]:
    """The commitments matrix of one dialogue, in recording order."""
    rows = await session.scalars(
        select(Commitment).where(Commitment.session_id == session_id).order_by(Commitment.id)
    )
    return [_view(r) for r in rows]


async def is_subscribed(session: AsyncSession, contact: Contact, parish_code: str) -> bool:
    """Whether `contact` gets commitment notices for `parish_code` on its channel."""
    found = await session.scalar(
        select(Subscription.id).where(
            Subscription.contact_id == contact.id,
            Subscription.parish_code == parish_code,
            Subscription.channel == contact.channel,
            Subscription.topic == TOPIC,
        )
    )
    return found is not None


async def subscribe(
    session: AsyncSession, contact: Contact, parish_code: str, *, now: datetime
) -> bool:
    """Subscribes `contact` to commitment notices of a parish; False when already subscribed."""
    if await is_subscribed(session, contact, parish_code):
        return False
    session.add(
        Subscription(
            contact_id=contact.id,
            parish_code=parish_code,
            channel=contact.channel,
            address=contact.address,
            topic=TOPIC,
            consent_at=now,
            created_at=now,
        )
    )
    await session.flush()
    return True


async def unsubscribe(
    session: AsyncSession, contact: Contact, parish_code: str, *, now: datetime | None = None
) -> bool:
    """Removes `contact`'s commitment notices for a parish; False when there were none.

    The reminders and status notices already queued for that subscription are withdrawn with
    it (unless another subscription of the same address still asks for them): «stop» means no
    more messages, not the ones already in the queue.
    """
    row = await session.scalar(
        select(Subscription).where(
            Subscription.contact_id == contact.id,
            Subscription.parish_code == parish_code,
            Subscription.channel == contact.channel,
            Subscription.topic == TOPIC,
        )
    )
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    await subscriptions.withdraw_unwanted(
        session,
        channel=row.channel,
        address=row.address,
        now=now or utc_now(),
        reason="unsubscribed",
    )
    return True
