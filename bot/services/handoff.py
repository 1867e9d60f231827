"""A person when the bot is not enough: the staff inbox and the handed-over conversation.

A citizen who asks for a person («quiero hablar con alguien», «urgente»), reports a fraud, or is
misunderstood three times in a row is put in the inbox of their district (the national inbox
when the parish has no known district), with what they wrote. A staff member of that territory
takes the conversation; while it is held the bot stays quiet in that chat and the citizen's
messages go to the staff member, whose replies reach the citizen on their own channel through the
outbox. The staff member hands it back to the bot or closes it; the citizen is told each time.

Who may see and answer follows the role × territory table (`authz`: VIEW_INBOX, ANSWER_CITIZEN);
every take, reply, hand-back and close is audited. Waiting time and time to the first answer are
kept for the inbox (`requested_at`, `taken_at`, `first_answer_at`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.answer_hours import AnswerHours
from bot.domain.errors import N_, InvalidTransition, NotFound
from bot.domain.staff import StaffScope
from bot.domain.text import clean_input
from bot.i18n import translator
from bot.services import audit
from bot.services.authz import Action, authorize
from bot.services.cases import districts_in_scope
from bot.services.dialogues import district_of_parish
from bot.storage.conversation_retention import HELD, MENU_FLOW
from bot.storage.models import Contact, Conversation, Handoff, HandoffMessage, Parish, Staff
from notificaciones.outbox import enqueue

WAITING = "waiting"
TAKEN = "taken"
RETURNED = "returned"  # handed back to the bot
CLOSED = "closed"
OPEN_STATUSES = (WAITING, TAKEN)
STATUS_LABELS = {
    WAITING: N_("En espera"),
    TAKEN: N_("Atendiendo"),
    RETURNED: N_("Devuelta al asistente"),
    CLOSED: N_("Cerrada"),
}
REASONS = {
    "persona": N_("Pidió hablar con una persona"),
    "urgente": N_("Dijo que es urgente"),
    "fraude": N_("Denuncia de cobro o fraude"),
    "no_entendido": N_("El asistente no le entendió tres veces"),
}
PRIORITY_REASONS = frozenset({"urgente", "fraude"})
REPLY_CHANNELS = ("telegram", "sms", "whatsapp", "console")
MAX_REPLY_CHARS = 1500
# While waiting, the citizen is reminded that a person will answer at most this often.
ACK_INTERVAL = timedelta(minutes=30)


@dataclass(frozen=True)
class HandoffView:
    """One inbox row as staff read it (no phone or chat id: the channel only)."""

    id: int
    status: str
    reason: str
    priority: bool
    channel: str
    district_code: str | None
    parish: str | None
    requested_at: datetime
    taken_at: datetime | None
    first_answer_at: datetime | None
    closed_at: datetime | None
    taken_by: str | None
    last_text: str
    waiting: timedelta | None  # how long the citizen has waited for a first answer, if still
    to_first_answer: timedelta | None


@dataclass(frozen=True)
class TranscriptLine:
    """One message of the handed-over conversation."""

    author: str  # "citizen", "staff" or "bot"
    staff_name: str | None
    text: str
    at: datetime


@dataclass(frozen=True)
class Opened:
    """What the citizen is told after asking for a person."""

    handoff: Handoff
    is_new: bool
    open_now: bool
    next_opening: datetime  # local time


def answer_hours(spec: str) -> AnswerHours:
    """The inbox's hours from the setting."""
    return AnswerHours.parse(spec)


async def open_handoff_of(session: AsyncSession, contact_id: int) -> Handoff | None:
    """The contact's handoff still open (waiting or taken), if any."""
    return await session.scalar(
        select(Handoff)
        .where(Handoff.contact_id == contact_id, Handoff.status.in_(OPEN_STATUSES))
        .order_by(Handoff.id.desc())
        .limit(1)
    )


async def request_person(
    session: AsyncSession,
    contact: Contact,
    *,
    reason: str,
    text: str,
    now: datetime,
    hours: AnswerHours,
    tz: ZoneInfo,
) -> Opened:
    """Puts the contact's conversation in its district's inbox (or keeps the open one)."""
    if reason not in REASONS:
        raise ValueError(f"unknown handoff reason {reason!r}")
    existing = await open_handoff_of(session, contact.id)
    local = now.astimezone(tz)
    if existing is not None:
        if reason in PRIORITY_REASONS:
            existing.priority = True
        await add_citizen_message(session, existing, text, now)
        return Opened(existing, False, hours.is_open(local), hours.next_opening(local))
    district = None
    if contact.parish_code is not None:
        district = await district_of_parish(session, contact.parish_code)
    handoff = Handoff(
        contact_id=contact.id,
        district_code=district,
        parish_code=contact.parish_code,
        reason=reason,
        priority=reason in PRIORITY_REASONS,
        status=WAITING,
        requested_at=now,
        acknowledged_at=now,
    )
    session.add(handoff)
    await session.flush()
    await add_citizen_message(session, handoff, text, now)
    await audit.record(
        session,
        at=now,
        actor_kind="citizen",
        actor=f"{contact.channel}:{contact.address}",
        action="handoff.requested",
        target=str(handoff.id),
        outcome=reason,
        detail={"district": district, "channel": contact.channel},
    )
    return Opened(handoff, True, hours.is_open(local), hours.next_opening(local))


async def add_citizen_message(
    session: AsyncSession, handoff: Handoff, text: str, now: datetime
) -> None:
    """Adds what the citizen wrote to the handed-over conversation (cleaned, never empty)."""
    cleaned = clean_input(text).strip()
    if cleaned:
        session.add(HandoffMessage(handoff_id=handoff.id, author="citizen", text=cleaned, at=now))


def should_acknowledge(handoff: Handoff, now: datetime) -> bool:
    """Whether a waiting citizen is reminded that a person will answer (not every message)."""
    if handoff.status != WAITING:
        return False
    last = handoff.acknowledged_at or handoff.requested_at
    if now - last < ACK_INTERVAL:
        return False
    handoff.acknowledged_at = now
    return True


async def leave_by_citizen(session: AsyncSession, contact: Contact, now: datetime) -> None:
    """The citizen went back to the bot («menú»): the staff member sees it in the conversation."""
    handoff = await open_handoff_of(session, contact.id)
    if handoff is None:
        return
    handoff.status, handoff.closed_at = RETURNED, now
    session.add(
        HandoffMessage(
            handoff_id=handoff.id,
            author="bot",
            text="La persona volvió al asistente automático (escribió «menú»).",
            at=now,
        )
    )


# --- staff side -----------------------------------------------------------------------------


async def inbox(
    session: AsyncSession,
    scope: StaffScope,
    *,
    now: datetime,
    statuses: tuple[str, ...] = OPEN_STATUSES,
    limit: int = 200,
) -> list[HandoffView]:
    """The conversations of the staff member's territory, priority and oldest first."""
    allowed = await _readable(session, scope, now)
    query = select(Handoff).where(Handoff.status.in_(statuses))
    if allowed is not None:
        query = query.where(Handoff.district_code.in_(allowed))
    query = query.order_by(Handoff.priority.desc(), Handoff.requested_at).limit(limit)
    rows = list(await session.scalars(query))
    return [await _view(session, row, now) for row in rows]


async def _readable(session: AsyncSession, scope: StaffScope, now: datetime) -> list[str] | None:
    """The districts whose inbox `scope` reads (None: all, the national inbox included)."""
    allowed = await districts_in_scope(session, scope)
    first = allowed[0] if allowed else None
    await authorize(session, scope, Action.VIEW_INBOX, now=now, district_code=first)
    return allowed


async def get_handoff(
    session: AsyncSession, scope: StaffScope, handoff_id: int, *, now: datetime, action: Action
) -> Handoff:
    """The handoff when `scope` may do `action` on it (else refused and audited)."""
    handoff = await session.get(
        Handoff, handoff_id, with_for_update=action is not Action.VIEW_INBOX
    )
    if handoff is None:
        raise NotFound(N_("No existe la conversación {number}."), number=handoff_id)
    await authorize(session, scope, action, now=now, district_code=handoff.district_code)
    return handoff


async def view(
    session: AsyncSession, scope: StaffScope, handoff_id: int, *, now: datetime
) -> tuple[HandoffView, list[TranscriptLine]]:
    """One conversation with everything written in it, for a staff member of its territory."""
    handoff = await get_handoff(session, scope, handoff_id, now=now, action=Action.VIEW_INBOX)
    rows = await session.execute(
        select(HandoffMessage, Staff.name)
        .outerjoin(Staff, Staff.id == HandoffMessage.staff_id)
        .where(HandoffMessage.handoff_id == handoff.id)
        .order_by(HandoffMessage.at, HandoffMessage.id)
    )
    lines = [TranscriptLine(m.author, name, m.text, m.at) for m, name in rows]
    return await _view(session, handoff, now), lines


async def take(
    session: AsyncSession, scope: StaffScope, handoff_id: int, *, now: datetime
) -> Handoff:
    """A staff member takes the conversation; the citizen is told a person is answering."""
    handoff = await get_handoff(session, scope, handoff_id, now=now, action=Action.ANSWER_CITIZEN)
    if handoff.status == TAKEN and handoff.taken_by == scope.staff_id:
        return handoff
    if handoff.status != WAITING:
        raise InvalidTransition(
            N_("Esta conversación ya no está en espera ({status})."),
            status=STATUS_LABELS[handoff.status],
        )
    handoff.status, handoff.taken_by, handoff.taken_at = TAKEN, scope.staff_id, now
    contact = await _contact(session, handoff)
    tr = translator(contact.locale)
    await _tell(
        session,
        handoff,
        contact,
        tr.t("Una persona del equipo del ministerio leyó su mensaje y le va a responder por aquí."),
        key="taken",
        now=now,
    )
    await _audit(session, scope, "handoff.taken", handoff, now)
    return handoff


async def reply(
    session: AsyncSession, scope: StaffScope, handoff_id: int, text: str, *, now: datetime
) -> HandoffMessage:
    """Sends the staff member's answer to the citizen on their channel, through the outbox."""
    body = text.strip()
    if not body:
        raise InvalidTransition(N_("Escriba la respuesta antes de enviarla."))
    if len(body) > MAX_REPLY_CHARS:
        raise InvalidTransition(
            N_("La respuesta es muy larga: escriba hasta {limit} caracteres."),
            limit=MAX_REPLY_CHARS,
        )
    handoff = await get_handoff(session, scope, handoff_id, now=now, action=Action.ANSWER_CITIZEN)
    if handoff.status == WAITING:
        await take(session, scope, handoff_id, now=now)
    elif handoff.status != TAKEN:
        raise InvalidTransition(
            N_("Esta conversación está cerrada ({status}): no se puede responder."),
            status=STATUS_LABELS[handoff.status],
        )
    elif handoff.taken_by != scope.staff_id:
        raise InvalidTransition(N_("Otra persona del equipo está atendiendo esta conversación."))
    message = HandoffMessage(
        handoff_id=handoff.id, author="staff", staff_id=scope.staff_id, text=body, at=now
    )
    session.add(message)
    await session.flush()
    if handoff.first_answer_at is None:
        handoff.first_answer_at = now
    contact = await _contact(session, handoff)
    await _tell(session, handoff, contact, body, key=f"reply:{message.id}", now=now)
    await _audit(session, scope, "handoff.replied", handoff, now)
    return message


async def hand_back(
    session: AsyncSession, scope: StaffScope, handoff_id: int, *, now: datetime, close: bool
) -> Handoff:
    """Ends the handover: back to the bot, or closed; the citizen is told which."""
    handoff = await get_handoff(session, scope, handoff_id, now=now, action=Action.ANSWER_CITIZEN)
    if handoff.status not in OPEN_STATUSES:
        raise InvalidTransition(
            N_("Esta conversación ya terminó ({status})."), status=STATUS_LABELS[handoff.status]
        )
    handoff.status, handoff.closed_at = (CLOSED if close else RETURNED), now
    contact = await _contact(session, handoff)
    await _release_conversation(session, contact)
    tr = translator(contact.locale)
    text = (
        tr.t("La persona que le atendía cerró la conversación. Gracias por escribirnos.")
        if close
        else tr.t("La persona que le atendía terminó. El asistente automático sigue con usted.")
    )
    text += "\n" + tr.t("Escriba «menú» para ver las opciones.")
    await _tell(session, handoff, contact, text, key="end", now=now)
    await _audit(session, scope, "handoff.closed" if close else "handoff.returned", handoff, now)
    return handoff


async def delete_of_contact(session: AsyncSession, contact_id: int) -> int:
    """Erasure: deletes the contact's handed-over conversations and their messages."""
    ids = list(await session.scalars(select(Handoff.id).where(Handoff.contact_id == contact_id)))
    if ids:
        await session.execute(delete(HandoffMessage).where(HandoffMessage.handoff_id.in_(ids)))
        await session.execute(delete(Handoff).where(Handoff.id.in_(ids)))
    return len(ids)


# --- helpers --------------------------------------------------------------------------------


async def _release_conversation(session: AsyncSession, contact: Contact) -> None:
    """Gives the chat back to the bot: its next message is answered from the menu."""
    await session.execute(
        update(Conversation)
        .where(
            Conversation.channel == contact.channel,
            Conversation.address == contact.address,
            Conversation.step == HELD,
        )
        .values(flow=MENU_FLOW, step="choosing", data={}, options=[])
        .execution_options(synchronize_session=False)
    )


async def _contact(session: AsyncSession, handoff: Handoff) -> Contact:
    contact = await session.get(Contact, handoff.contact_id)
    if contact is None:  # cascade: a deleted contact takes its handoffs with it
        raise NotFound(N_("No existe la conversación {number}."), number=handoff.id)
    return contact


async def _tell(
    session: AsyncSession, handoff: Handoff, contact: Contact, body: str, *, key: str, now: datetime
) -> None:
    """Queues a message to the citizen on the channel they wrote from."""
    if contact.channel not in REPLY_CHANNELS:
        return
    await enqueue(
        session,
        channel=contact.channel,
        address=contact.address,
        body=body,
        kind="persona",
        dedupe_key=f"handoff:{handoff.id}:{key}",
        due_at=now,
        now=now,
    )


async def _audit(
    session: AsyncSession, scope: StaffScope, action: str, handoff: Handoff, now: datetime
) -> None:
    await audit.record(
        session,
        at=now,
        actor_kind="staff",
        actor=f"staff:{scope.staff_id}",
        action=action,
        target=str(handoff.id),
        outcome=handoff.status,
        detail={"district": handoff.district_code},
    )


async def _view(session: AsyncSession, handoff: Handoff, now: datetime) -> HandoffView:
    contact = await session.get(Contact, handoff.contact_id)
    parish = (
        await session.scalar(select(Parish.name).where(Parish.code == handoff.parish_code))
        if handoff.parish_code
        else None
    )
    taken_by = await session.scalar(select(Staff.name).where(Staff.id == handoff.taken_by))
    last = await session.scalar(
        select(HandoffMessage.text)
        .where(HandoffMessage.handoff_id == handoff.id, HandoffMessage.author == "citizen")
        .order_by(HandoffMessage.id.desc())
        .limit(1)
    )
    waiting = (
        now - handoff.requested_at
        if handoff.first_answer_at is None and handoff.status in OPEN_STATUSES
        else None
    )
    to_first = handoff.first_answer_at - handoff.requested_at if handoff.first_answer_at else None
    return HandoffView(
        id=handoff.id,
        status=handoff.status,
        reason=handoff.reason,
        priority=handoff.priority,
        channel=contact.channel if contact else "",
        district_code=handoff.district_code,
        parish=parish,
        requested_at=handoff.requested_at,
        taken_at=handoff.taken_at,
        first_answer_at=handoff.first_answer_at,
        closed_at=handoff.closed_at,
        taken_by=taken_by,
        last_text=last or "",
        waiting=waiting,
        to_first_answer=to_first,
    )
