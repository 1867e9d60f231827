"""Identity check before showing payment data: cédula + second factor, with anti-enumeration.

Failures are counted per chat AND per cédula (keys are keyed hashes, never the values) in
`verification_locks`. After `verification_max_failures` failures within
`verification_lock_max_minutes` the key is locked: the first lock lasts
`verification_lock_minutes`, each consecutive one twice the previous, up to
`verification_lock_max_minutes`; a successful check of the cédula starts over. So guessing a
birth date costs a day per 3 tries once the cap is reached, across chats and restarts.

By SMS or WhatsApp the sender's phone is known: when it is the registry's mobile for the cédula,
the phone is one factor and the birth date (or código dactilar) the second. From any other phone
a matching second factor is not enough: a one-time code goes to the registry's phone and only
that code shows the payment (`CodeSent` with `because="other_phone"`), so no payment detail ever
reaches a phone that is not the registry's.

Whoever knows a cédula can lock it, so its owner keeps a way in: a one-time code sent by SMS
to the phone the registry holds for that cédula (through the outbox; the phone is never shown).
An unknown cédula, a cédula with no phone and a wrong second factor answer exactly the same, so
the bot never reveals whether someone is in the registry. Every lookup is audited.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.domain.channels import PHONE_CHANNELS
from bot.domain.identity import Cedula
from bot.domain.quiet_hours import next_allowed
from bot.domain.second_factor import SecondFactor, normalise_fingerprint
from bot.domain.sms_text import prepare_sms, segment_info
from bot.i18n import translator
from bot.services import audit
from bot.storage.models import Beneficiary, VerificationLock
from notificaciones.outbox import enqueue
from notificaciones.time_zones import phone_zones

log = logging.getLogger(__name__)
ACTION = "payment_status_lookup"
CODE_ACTION = "verification_code"
CODE_DIGITS = 6
CODE_VALID_FOR = timedelta(minutes=30)  # counted from when the SMS may leave (quiet hours)
CODE_MAX_ATTEMPTS = 3
CODES_PER_DAY = 3  # per cédula and per chat: SMS cost money and must not become harassment
CODES_WINDOW = timedelta(days=1)
_MAX_DOUBLINGS = 30  # 2**30 first locks is past any sensible cap: no huge integers


@dataclass(frozen=True)
class Verified:
    """The second factor matched: the person's registry rows."""

    records: tuple[Beneficiary, ...]


@dataclass(frozen=True)
class NotVerified:
    """No record matches both values (unknown cédula or wrong factor: deliberately the same).

    `locked_until` is set when this failure locked the chat or the cédula (`cedula_locked`).
    """

    attempts_left: int
    locked_until: datetime | None = None
    cedula_locked: bool = False


@dataclass(frozen=True)
class Locked:
    """The chat or the cédula is locked until `until` (aware UTC)."""

    until: datetime


@dataclass(frozen=True)
class CodeSent:
    """A code was sent if the registry holds a phone for the cédula (the same either way).

    `sends_from` is when the SMS may leave (after quiet hours in the default time zone) and
    `expires_at` when the code stops working; both are the same whatever the registry holds.
    """

    sends_from: datetime
    expires_at: datetime
    because: Literal["locked", "other_phone"] = "locked"


@dataclass(frozen=True)
class CodeRefused:
    """No code now: the cédula is not locked, or too many codes were asked today."""

    reason: Literal["not_locked", "too_many"]
    retry_at: datetime | None = None


@dataclass(frozen=True)
class CodeWrong:
    """The code does not match; after `attempts_left` more wrong tries it stops working."""

    attempts_left: int


@dataclass(frozen=True)
class CodeExpired:
    """No valid code for this cédula (never asked, expired, or its tries used up)."""


def chat_key(session: AsyncSession, channel: str, address: str) -> str:
    """The lock key of a conversation."""
    return "chat:" + audit.session_pseudonym(session, f"{channel}:{address}")


def cedula_key(session: AsyncSession, cedula: Cedula) -> str:
    """The lock key of a cédula (its normalised 10 digits, so every spelling shares it)."""
    return "ced:" + audit.session_pseudonym(session, cedula.value)


def lock_duration(settings: Settings, lock_count: int) -> timedelta:
    """How long the `lock_count`-th consecutive lock lasts: doubling, up to the cap."""
    doublings = min(max(lock_count, 1) - 1, _MAX_DOUBLINGS)
    minutes = min(settings.verification_lock_minutes * 2**doublings, _cap_minutes(settings))
    return timedelta(minutes=minutes)


def _cap_minutes(settings: Settings) -> int:
    return max(settings.verification_lock_minutes, settings.verification_lock_max_minutes)


def _failure_window(settings: Settings) -> timedelta:
    # Failures count over the longest lock: spacing guesses just under a short window
    # would otherwise never lock at all.
    return timedelta(minutes=_cap_minutes(settings))


async def _lock_row(session: AsyncSession, key: str, now: datetime) -> VerificationLock:
    query = select(VerificationLock).where(VerificationLock.key == key).with_for_update()
    row = await session.scalar(query)
    if row is None:
        row = VerificationLock(
            key=key,
            failures=0,
            window_started_at=now,
            locked_until=None,
            lock_count=0,
            code_attempts=0,
            codes_sent=0,
        )
        try:
            async with session.begin_nested():
                session.add(row)
        except IntegrityError:
            row = await session.scalar(query)
            assert row is not None
    return row


async def _existing_row(session: AsyncSession, key: str) -> VerificationLock | None:
    query = select(VerificationLock).where(VerificationLock.key == key).with_for_update()
    return await session.scalar(query)


def _is_locked(row: VerificationLock | None, now: datetime) -> bool:
    return row is not None and row.locked_until is not None and row.locked_until > now


def _expired_lock(row: VerificationLock, now: datetime) -> bool:
    return row.locked_until is not None and row.locked_until <= now


def _locked(rows: list[VerificationLock | None], now: datetime) -> Locked | None:
    until = [r.locked_until for r in rows if r is not None and _is_locked(r, now)]
    return Locked(max(u for u in until if u is not None)) if until else None


async def chat_lock(
    session: AsyncSession, channel: str, address: str, now: datetime
) -> Locked | None:
    """The lock on this conversation, if any."""
    return _locked([await session.get(VerificationLock, chat_key(session, channel, address))], now)


async def cedula_lock(session: AsyncSession, cedula: Cedula, now: datetime) -> Locked | None:
    """The lock on this cédula, if any (whatever chat locked it)."""
    return _locked([await session.get(VerificationLock, cedula_key(session, cedula))], now)


async def verify(
    session: AsyncSession,
    settings: Settings,
    *,
    channel: str,
    address: str,
    cedula: Cedula,
    factor: SecondFactor,
    now: datetime,
) -> Verified | NotVerified | Locked | CodeSent | CodeRefused:
    """Checks the locks, looks the cédula up, compares the factor, counts failures and audits.

    Returns `Locked` (audited) when the chat or the cédula is locked; on a phone channel whose
    phone is not the registry's, a match sends a one-time code instead (`CodeSent`, or
    `CodeRefused("too_many")` when enough codes went out today).
    """
    actor = f"{channel}:{address}"
    target = audit.session_pseudonym(session, cedula.value)
    chat_row = await _lock_row(session, chat_key(session, channel, address), now)
    cedula_row = await _lock_row(session, cedula_key(session, cedula), now)
    rows = [chat_row, cedula_row]
    locked = _locked([chat_row, cedula_row], now)
    if locked is not None:
        await audit.record(
            session, at=now, actor_kind="citizen", actor=actor, action=ACTION,
            target=target, outcome="locked", detail={"factor": factor.kind},
        )  # fmt: skip
        return locked
    records = await _records(session, cedula)
    matched = bool(records) and any(_matches(r, factor) for r in records)
    if matched and channel in PHONE_CHANNELS and not any(r.mobile == address for r in records):
        # Right data from a phone that is not the registry's: the code decides, not the data.
        await audit.record(
            session, at=now, actor_kind="citizen", actor=actor, action=ACTION,
            target=target, outcome="match_needs_code", detail={"factor": factor.kind},
        )  # fmt: skip
        return await _issue_code(
            session, settings, chat_row, cedula_row, cedula=cedula, actor=actor, now=now,
            because="other_phone",
        )  # fmt: skip
    if matched:
        _start_over(cedula_row)
        await audit.record(
            session, at=now, actor_kind="citizen", actor=actor, action=ACTION,
            target=target, outcome="match", detail={"factor": factor.kind},
        )  # fmt: skip
        return Verified(records)
    window = _failure_window(settings)
    left = settings.verification_max_failures
    for row in rows:
        if row.window_started_at + window < now or _expired_lock(row, now):
            row.failures, row.window_started_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= settings.verification_max_failures:
            row.lock_count += 1
            row.locked_until = now + lock_duration(settings, row.lock_count)
        left = min(left, max(settings.verification_max_failures - row.failures, 0))
    await audit.record(
        session, at=now, actor_kind="citizen", actor=actor, action=ACTION, target=target,
        outcome="no_match", detail={"factor": factor.kind, "known_cedula": bool(records)},
    )  # fmt: skip
    log.info("verification failed on %s (%s attempts left)", channel, left)
    now_locked = _locked([chat_row, cedula_row], now)
    return NotVerified(
        attempts_left=left,
        locked_until=now_locked.until if now_locked else None,
        cedula_locked=_is_locked(cedula_row, now),
    )


async def send_code(
    session: AsyncSession,
    settings: Settings,
    *,
    channel: str,
    address: str,
    cedula: Cedula,
    now: datetime,
) -> CodeSent | CodeRefused:
    """Queues a one-time code by SMS to the registry's phone for a locked cédula.

    The answer is the same whether the registry holds a phone for the cédula or not (or knows
    the cédula at all): with no phone, a code nobody receives is kept, so later tries fail
    the same way. A new code replaces the previous one.
    """
    cedula_row = await _existing_row(session, cedula_key(session, cedula))
    if cedula_row is None or not _is_locked(cedula_row, now):
        return CodeRefused("not_locked")
    chat_row = await _lock_row(session, chat_key(session, channel, address), now)
    return await _issue_code(
        session, settings, chat_row, cedula_row, cedula=cedula, actor=f"{channel}:{address}",
        now=now, because="locked",
    )  # fmt: skip


async def _issue_code(
    session: AsyncSession,
    settings: Settings,
    chat_row: VerificationLock,
    cedula_row: VerificationLock,
    *,
    cedula: Cedula,
    actor: str,
    now: datetime,
    because: Literal["locked", "other_phone"],
) -> CodeSent | CodeRefused:
    """Queues a new code to the registry's phone, within the daily number of codes."""
    for row in (chat_row, cedula_row):
        start = row.codes_window_started_at
        if start is None or start + CODES_WINDOW <= now:
            row.codes_sent, row.codes_window_started_at = 0, now
    full = [r for r in (chat_row, cedula_row) if r.codes_sent >= CODES_PER_DAY]
    if full:
        retry = max(r.codes_window_started_at or now for r in full) + CODES_WINDOW
        return CodeRefused("too_many", retry_at=retry)
    for row in (chat_row, cedula_row):
        row.codes_sent += 1
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    quiet_from, quiet_to = settings.quiet_hours_start, settings.quiet_hours_end
    sends_from = next_allowed(now, settings.timezone, quiet_from, quiet_to)
    expires_at = sends_from + CODE_VALID_FOR
    phone = await _registry_phone(session, cedula)
    if phone is not None:
        zone = (await phone_zones(session, [phone], settings.timezone))[phone]
        phone_expiry = next_allowed(now, zone, quiet_from, quiet_to) + CODE_VALID_FOR
        sms_expiry = max(expires_at, phone_expiry)
        body = _code_sms(settings, code, sms_expiry.astimezone(zone))
        queued = await enqueue(
            session,
            channel="sms",
            address=phone,
            body=body,
            kind="verification_code",
            dedupe_key=f"verification-code:{secrets.token_hex(12)}",
            due_at=now,
            now=now,
            segments=segment_info(body).segments,
        )
        if queued is not None:
            expires_at = sms_expiry
    cedula_row.code_hash = _code_hash(session, cedula, code)
    cedula_row.code_expires_at = expires_at
    cedula_row.code_attempts = 0
    await audit.record(
        session, at=now, actor_kind="citizen", actor=actor,
        action=CODE_ACTION, target=audit.session_pseudonym(session, cedula.value),
        outcome="requested",
        detail={"sent": phone is not None, "because": because},
    )  # fmt: skip
    return CodeSent(sends_from=sends_from, expires_at=sends_from + CODE_VALID_FOR, because=because)


async def verify_code(
    session: AsyncSession,
    *,
    channel: str,
    address: str,
    cedula: Cedula,
    code: str,
    now: datetime,
) -> Verified | CodeWrong | CodeExpired:
    """Checks a one-time code; a match verifies the person and lifts the cédula's lock."""
    actor = f"{channel}:{address}"
    target = audit.session_pseudonym(session, cedula.value)
    row = await _existing_row(session, cedula_key(session, cedula))
    if row is None:
        return CodeExpired()
    usable = (
        row.code_hash is not None
        and row.code_expires_at is not None
        and row.code_expires_at > now
        and row.code_attempts < CODE_MAX_ATTEMPTS
    )
    if not usable:
        _clear_code(row)
        return CodeExpired()
    records = await _records(session, cedula)
    expected = row.code_hash or ""
    if records and hmac.compare_digest(
        expected.encode(), _code_hash(session, cedula, code).encode()
    ):
        _start_over(row)
        await audit.record(
            session, at=now, actor_kind="citizen", actor=actor, action=ACTION,
            target=target, outcome="match", detail={"factor": "sms_code"},
        )  # fmt: skip
        return Verified(records)
    row.code_attempts += 1
    left = CODE_MAX_ATTEMPTS - row.code_attempts
    if left <= 0:
        _clear_code(row)
    await audit.record(
        session, at=now, actor_kind="citizen", actor=actor, action=ACTION,
        target=target, outcome="no_match", detail={"factor": "sms_code"},
    )  # fmt: skip
    return CodeWrong(attempts_left=max(left, 0))


def _start_over(row: VerificationLock) -> None:
    """After a successful check: no failures, no lock, the next lock short again."""
    row.failures, row.locked_until, row.lock_count = 0, None, 0
    _clear_code(row)


def _clear_code(row: VerificationLock) -> None:
    row.code_hash, row.code_expires_at, row.code_attempts = None, None, 0


def _code_hash(session: AsyncSession, cedula: Cedula, code: str) -> str:
    return audit.session_pseudonym(session, f"code:{cedula.value}:{code}")


def _code_sms(settings: Settings, code: str, expires_local: datetime) -> str:
    tr = translator(settings.default_locale)
    text = tr.t(
        "{ministry}: su código para consultar su pago es {code}. Vale hasta las {time}. "
        "Escríbalo solo en el chat del {ministry}; no lo comparta con nadie.",
        ministry=settings.ministry_name,
        code=code,
        time=tr.datetime(expires_local, "HH:mm"),
    )
    return prepare_sms(text, transliterate_accents=settings.sms_transliterate)


async def _records(session: AsyncSession, cedula: Cedula) -> tuple[Beneficiary, ...]:
    return tuple(
        await session.scalars(
            select(Beneficiary).where(Beneficiary.cedula == cedula.value).order_by(Beneficiary.id)
        )
    )


async def _registry_phone(session: AsyncSession, cedula: Cedula) -> str | None:
    query = (
        select(Beneficiary.mobile)
        .where(Beneficiary.cedula == cedula.value, Beneficiary.mobile.is_not(None))
        .order_by(Beneficiary.id)
        .limit(1)
    )
    return await session.scalar(query)


def _matches(record: Beneficiary, factor: SecondFactor) -> bool:
    if factor.birth_date is not None:
        return record.birth_date is not None and record.birth_date == factor.birth_date
    code = factor.fingerprint_code or ""
    stored = normalise_fingerprint(record.fingerprint_code or "")
    return bool(stored) and hmac.compare_digest(stored.encode(), code.encode())
