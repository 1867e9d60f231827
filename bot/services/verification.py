"""Identity check before showing payment data: cédula + second factor, with anti-enumeration.

Failures are counted per chat AND per cédula (keys are keyed hashes, never the values) in
`verification_locks`; after `verification_max_failures` within `verification_lock_minutes` the
key is locked for that long. An unknown cédula and a wrong second factor count and answer the
same, so the bot never reveals whether someone is in the registry. Every lookup is audited.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.domain.errors import N_, VerificationLocked
from bot.domain.identity import Cedula
from bot.domain.second_factor import SecondFactor, normalise_fingerprint
from bot.services import audit
from bot.storage.models import Beneficiary, VerificationLock

log = logging.getLogger(__name__)
ACTION = "payment_status_lookup"


@dataclass(frozen=True)
class Verified:
    """The second factor matched: the person's registry rows."""

    records: tuple[Beneficiary, ...]


@dataclass(frozen=True)
class NotVerified:
    """No record matches both values (unknown cédula or wrong factor: deliberately the same)."""

    attempts_left: int


def chat_key(session: AsyncSession, channel: str, address: str) -> str:
    """The lock key of a conversation."""
    return "chat:" + audit.session_pseudonym(session, f"{channel}:{address}")


def cedula_key(session: AsyncSession, cedula: Cedula) -> str:
    """The lock key of a cédula."""
    return "ced:" + audit.session_pseudonym(session, cedula.value)


def _locked_error(settings: Settings) -> VerificationLocked:
    return VerificationLocked(
        N_(
            "Por seguridad, la consulta quedó bloqueada por {minutes} minutos después de varios "
            "intentos fallidos. Si necesita ayuda, llame gratis al {phone}."
        ),
        minutes=settings.verification_lock_minutes,
        phone=settings.call_centre,
    )


async def _lock_row(session: AsyncSession, key: str, now: datetime) -> VerificationLock:
    query = select(VerificationLock).where(VerificationLock.key == key).with_for_update()
    row = await session.scalar(query)
    if row is None:
        row = VerificationLock(key=key, failures=0, window_started_at=now, locked_until=None)
        try:
            async with session.begin_nested():
                session.add(row)
        except IntegrityError:
            row = await session.scalar(query)
            assert row is not None
    return row


def _is_locked(row: VerificationLock | None, now: datetime) -> bool:
    return row is not None and row.locked_until is not None and row.locked_until > now


async def ensure_chat_not_locked(
    session: AsyncSession, settings: Settings, channel: str, address: str, now: datetime
) -> None:
    """Raises `VerificationLocked` when this conversation is locked."""
    row = await session.get(VerificationLock, chat_key(session, channel, address))
    if _is_locked(row, now):
        raise _locked_error(settings)


async def verify(
    session: AsyncSession,
    settings: Settings,
    *,
    channel: str,
    address: str,
    cedula: Cedula,
    factor: SecondFactor,
    now: datetime,
) -> Verified | NotVerified:
    """Checks the locks, looks the cédula up, compares the factor, counts failures and audits.

    Raises `VerificationLocked` (audited) when the chat or the cédula is locked.
    """
    actor = f"{channel}:{address}"
    target = audit.session_pseudonym(session, cedula.value)
    keys = (chat_key(session, channel, address), cedula_key(session, cedula))
    rows = [await _lock_row(session, k, now) for k in keys]
    if any(_is_locked(row, now) for row in rows):
        await audit.record(
            session, at=now, actor_kind="citizen", actor=actor, action=ACTION,
            target=target, outcome="locked", detail={"factor": factor.kind},
        )  # fmt: skip
        raise _locked_error(settings)
    records = tuple(
        await session.scalars(
            select(Beneficiary).where(Beneficiary.cedula == cedula.value).order_by(Beneficiary.id)
        )
    )
    matched = bool(records) and any(_matches(r, factor) for r in records)
    if matched:
        rows[1].failures, rows[1].locked_until = 0, None
        await audit.record(
            session, at=now, actor_kind="citizen", actor=actor, action=ACTION,
            target=target, outcome="match", detail={"factor": factor.kind},
        )  # fmt: skip
        return Verified(records)
    window = timedelta(minutes=settings.verification_lock_minutes)
    left = settings.verification_max_failures
    for row in rows:
        if row.window_started_at + window < now or _expired_lock(row, now):
            row.failures, row.window_started_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= settings.verification_max_failures:
            row.locked_until = now + window
        left = min(left, max(settings.verification_max_failures - row.failures, 0))
    await audit.record(
        session, at=now, actor_kind="citizen", actor=actor, action=ACTION, target=target,
        outcome="no_match", detail={"factor": factor.kind, "known_cedula": bool(records)},
    )  # fmt: skip
    log.info("verification failed on %s (%s attempts left)", channel, left)
    return NotVerified(attempts_left=left)


def _expired_lock(row: VerificationLock, now: datetime) -> bool:
    return row.locked_until is not None and row.locked_until <= now


def _matches(record: Beneficiary, factor: SecondFactor) -> bool:
    if factor.birth_date is not None:
        return record.birth_date is not None and record.birth_date == factor.birth_date
    code = factor.fingerprint_code or ""
    stored = normalise_fingerprint(record.fingerprint_code or "")
    return bool(stored) and hmac.compare_digest(stored.encode(), code.encode())
