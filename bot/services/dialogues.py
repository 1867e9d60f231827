"""Diálogo Ciudadano sessions and the citizens' answers to the four generating questions.

A parish may have a session opened by staff (e.g. «Diálogo Ciudadano Tacamoros 2024-11-21");
answers given while it is open belong to it. Without an open session the dialogue stands open
all year: answers are kept with the parish and no session.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.dialogue import MAX_ANSWER_CHARS, QUESTIONS, check_length
from bot.domain.errors import N_, InvalidTransition, NotAllowed, NotFound
from bot.domain.staff import StaffScope
from bot.services import audit
from bot.services.authz import Action, authorize
from bot.services.cases import districts_in_scope, in_scope
from bot.storage.models import Canton, DialogueAnswer, DialogueSession, Parish

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DialogueView:
    """A dialogue session as shown to staff and citizens."""

    id: int
    title: str
    parish_code: str
    held_on: date | None
    open: bool


@dataclass(frozen=True)
class AnswerInput:
    """One answer to record: the question number, the text, an optional choice key."""

    question: int
    text: str
    choice: str | None = None
    observations: str | None = None


@dataclass(frozen=True)
class AnswerView:
    """One answer in a dialogue's four-question matrix, with its «observaciones adicionales»."""

    id: int
    question: int
    text: str
    observations: str
    created_at: datetime


MAX_OBSERVATION_CHARS = 1000


def _view(row: DialogueSession) -> DialogueView:
    return DialogueView(row.id, row.title, row.parish_code, row.held_on, row.closed_at is None)


async def district_of_parish(session: AsyncSession, parish_code: str) -> str | None:
    """The district directorate serving a parish (None when its canton has no mapping)."""
    return await session.scalar(
        select(Canton.district_code)
        .join(Parish, Parish.canton_code == Canton.code)
        .where(Parish.code == parish_code)
    )


async def _require_parish_in_scope(
    session: AsyncSession, scope: StaffScope, parish_code: str
) -> None:
    if scope.read_only:
        raise NotAllowed(N_("Su rol de auditoría solo permite consultar."))
    if await session.get(Parish, parish_code) is None:
        raise NotFound(N_("No existe la parroquia con código {code}."), code=parish_code)
    if not await in_scope(session, scope, await district_of_parish(session, parish_code)):
        raise NotAllowed(N_("La parroquia {code} no pertenece a su territorio."), code=parish_code)


async def open_session(
    session: AsyncSession,
    scope: StaffScope,
    *,
    parish_code: str,
    title: str,
    held_on: date | None,
    now: datetime,
    event_id: int | None = None,
) -> DialogueView:
    """Opens a dialogue session in a parish of the staff member's territory."""
    await _require_parish_in_scope(session, scope, parish_code)
    title = title.strip()
    if not title:
        raise InvalidTransition(N_("El diálogo necesita un título."))
    row = DialogueSession(
        title=title[:160],
        parish_code=parish_code,
        held_on=held_on,
        event_id=event_id,
        opened_by=scope.staff_id or None,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return _view(row)


async def close_session(
    session: AsyncSession, scope: StaffScope, session_id: int, *, now: datetime
) -> DialogueView:
    """Closes a dialogue session: later answers of the parish stand open all year again."""
    row = await session.get(DialogueSession, session_id)
    if row is None:
        raise NotFound(N_("No existe el diálogo {id}."), id=session_id)
    await _require_parish_in_scope(session, scope, row.parish_code)
    if row.closed_at is None:
        row.closed_at = now
    return _view(row)


async def get_session(session: AsyncSession, session_id: int) -> DialogueView | None:
    """The dialogue session with `session_id`, if any."""
    row = await session.get(DialogueSession, session_id)
    return None if row is None else _view(row)


async def current_session(session: AsyncSession, parish_code: str) -> DialogueView | None:
    """The parish's most recent open session, or None when the dialogue stands open all year."""
    row = await session.scalar(
        select(DialogueSession)
        .where(DialogueSession.parish_code == parish_code, DialogueSession.closed_at.is_(None))
        .order_by(DialogueSession.created_at.desc(), DialogueSession.id.desc())
        .limit(1)
    )
    return None if row is None else _view(row)


async def record_answers(
    session: AsyncSession,
    *,
    parish_code: str,
    session_id: int | None,
    contact_id: int | None,
    answers: list[AnswerInput],
    now: datetime,
) -> int:
    """Stores a citizen's answers (each at most `MAX_ANSWER_CHARS`, never cut); returns how many."""
    numbers = {q.number for q in QUESTIONS}
    stored = 0
    for item in answers:
        if item.question not in numbers:
            raise ValueError(f"unknown question {item.question}")
        text = check_length(item.text, MAX_ANSWER_CHARS)
        if not text:
            continue
        session.add(
            DialogueAnswer(
                session_id=session_id,
                parish_code=parish_code,
                contact_id=contact_id,
                question=item.question,
                answer_text=text,
                choice=item.choice,
                observations=item.observations,
                created_at=now,
            )
        )
        stored += 1
    await session.flush()
    log.info("dialogue answers stored: %s", stored)
    return stored


async def delete_answers_of(session: AsyncSession, contact_id: int) -> int:
    """Deletes a citizen's dialogue answers on erasure; returns how many were deleted."""
    result = await session.execute(
        delete(DialogueAnswer).where(DialogueAnswer.contact_id == contact_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def list_sessions(
    session: AsyncSession, scope: StaffScope, *, limit: int = 100
) -> list[DialogueView]:
    """The dialogue sessions of parishes in `scope`'s territory, newest first."""
    query = select(DialogueSession).order_by(
        DialogueSession.created_at.desc(), DialogueSession.id.desc()
    )
    allowed = await districts_in_scope(session, scope)
    if allowed is not None:
        served = (
            select(Parish.code)
            .join(Canton, Canton.code == Parish.canton_code)
            .where(Canton.district_code.in_(allowed))
        )
        query = query.where(DialogueSession.parish_code.in_(served))
    return [_view(r) for r in await session.scalars(query.limit(limit))]


async def _authorized_session(
    session: AsyncSession, scope: StaffScope, session_id: int, action: Action, now: datetime
) -> DialogueSession:
    row = await session.get(DialogueSession, session_id)
    if row is None:
        raise NotFound(N_("No existe el diálogo {id}."), id=session_id)
    district = await district_of_parish(session, row.parish_code)
    await authorize(session, scope, action, now=now, district_code=district)
    return row


async def session_matrix(
    session: AsyncSession, scope: StaffScope, session_id: int, *, now: datetime
) -> tuple[DialogueView, list[AnswerView]]:
    """A dialogue and its answers in question order (the *Matriz de alertas y sugerencias*)."""
    row = await _authorized_session(session, scope, session_id, Action.VIEW_DIALOGUES, now)
    answers = await session.scalars(
        select(DialogueAnswer)
        .where(DialogueAnswer.session_id == session_id)
        .order_by(DialogueAnswer.question, DialogueAnswer.created_at, DialogueAnswer.id)
    )
    return _view(row), [
        AnswerView(a.id, a.question, a.answer_text, a.observations or "", a.created_at)
        for a in answers
    ]


async def edit_observations(
    session: AsyncSession, scope: StaffScope, answer_id: int, text: str, *, now: datetime
) -> AnswerView:
    """Writes the «observaciones adicionales» of one answer (staff's note beside the citizen's)."""
    answer = await session.get(DialogueAnswer, answer_id)
    if answer is None:
        raise NotFound(N_("No existe esa respuesta."))
    district = await district_of_parish(session, answer.parish_code)
    await authorize(session, scope, Action.EDIT_DIALOGUE, now=now, district_code=district)
    answer.observations = check_length(text, MAX_OBSERVATION_CHARS) or None
    await session.flush()
    await audit.record(
        session,
        at=now,
        actor_kind="staff",
        actor=f"staff:{scope.staff_id}",
        action="dialogue.observations",
        target=f"answer:{answer.id}",
        outcome="ok",
    )
    return AnswerView(
        answer.id,
        answer.question,
        answer.answer_text,
        answer.observations or "",
        answer.created_at,
    )


async def year_round_parishes(session: AsyncSession, scope: StaffScope) -> list[tuple[str, int]]:
    """Parishes of `scope`'s territory with answers given outside any session, and how many."""
    query = (
        select(DialogueAnswer.parish_code, func.count())
        .where(DialogueAnswer.session_id.is_(None))
        .group_by(DialogueAnswer.parish_code)
        .order_by(DialogueAnswer.parish_code)
    )
    allowed = await districts_in_scope(session, scope)
    if allowed is not None:
        served = (
            select(Parish.code)
            .join(Canton, Canton.code == Parish.canton_code)
            .where(Canton.district_code.in_(allowed))
        )
        query = query.where(DialogueAnswer.parish_code.in_(served))
    return [(code, int(count)) for code, count in await session.execute(query)]


async def parish_matrix(
    session: AsyncSession, scope: StaffScope, parish_code: str, *, now: datetime
) -> list[AnswerView]:
    """A parish's year-round answers (given with no session open), in question order."""
    if await session.get(Parish, parish_code) is None:
        raise NotFound(N_("No existe la parroquia con código {code}."), code=parish_code)
    district = await district_of_parish(session, parish_code)
    await authorize(session, scope, Action.VIEW_DIALOGUES, now=now, district_code=district)
    answers = await session.scalars(
        select(DialogueAnswer)
        .where(DialogueAnswer.parish_code == parish_code, DialogueAnswer.session_id.is_(None))
        .order_by(DialogueAnswer.question, DialogueAnswer.created_at, DialogueAnswer.id)
    )
    return [
        AnswerView(a.id, a.question, a.answer_text, a.observations or "", a.created_at)
        for a in answers
    ]
