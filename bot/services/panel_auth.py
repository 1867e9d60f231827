"""Staff sign-in to the web panel: passwords, one-time codes by Telegram, TOTP, sessions.

The accounts are the existing staff accounts (`bot.services.staff`); the panel signs in by the
account number. Two ways in, both behind one lockout:
- a password set from the server's command line (`python -m bot staff set-password`), stored as
  an argon2id hash (argon2-cffi, OWASP's first choice), plus a TOTP code (pyotp) when the account
  has TOTP enabled (`staff totp`);
- a one-time code sent through the outbox to the account's linked Telegram chat (the same chat
  `/vincular` linked), valid a few minutes and spent on use; it is itself a second factor.
After `max_failures` consecutive failures the account is locked for `lock` (audited), whatever
the way in. A refusal never says whether the account exists.

A session is a random token in an HttpOnly cookie; only its SHA-256 is stored (`PanelSession`),
so signing out, revoking the account or the idle/absolute expiry ends it server-side. Every
sign-in, refusal, lock, expiry and sign-out is in the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.domain.errors import N_, DomainError
from bot.domain.staff import Role, StaffScope
from bot.i18n import translator
from bot.services.audit import record
from bot.services.audit_key import load_secret
from bot.services.staff import scope_of
from bot.storage.models import PanelSession, Staff, StaffCredential
from notificaciones.outbox import enqueue

MIN_PASSWORD_LENGTH = 10
CODE_DIGITS = 6
TOTP_ISSUER = "MIES Conecta"
DEMO_ACCOUNT_NAME = "Cuenta de demostración (panel)"
_HASHER = PasswordHasher()
# Verified when the account is unknown or has no password, so a refusal takes as long either way.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


class SignInError(DomainError):
    """A sign-in or credential change that cannot be done; the message is safe to show."""


BAD_CREDENTIALS = N_("Cuenta, contraseña o código incorrectos. Revise e intente otra vez.")
LOCKED = N_(
    "Demasiados intentos fallidos: la cuenta quedó bloqueada por {minutes} minutos. "
    "Si no fue usted, avise a su administrador."
)


@dataclass(frozen=True)
class SignInPolicy:
    """The sign-in knobs, from the settings."""

    max_failures: int
    lock: timedelta
    idle: timedelta
    absolute: timedelta
    code_ttl: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInPolicy:
        """The policy the settings configure."""
        return cls(
            max_failures=settings.panel_max_failures,
            lock=timedelta(minutes=settings.panel_lock_minutes),
            idle=timedelta(minutes=settings.panel_session_minutes),
            absolute=timedelta(hours=settings.panel_session_max_hours),
            code_ttl=timedelta(minutes=settings.panel_code_minutes),
        )


@dataclass(frozen=True)
class SignedIn:
    """Who a valid session belongs to."""

    scope: StaffScope
    name: str
    token_hash: str


def token_hash(token: str) -> str:
    """The SHA-256 of a session token or one-time code (only hashes are stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


async def _active_staff(session: AsyncSession, staff_id: int) -> Staff | None:
    staff = await session.get(Staff, staff_id)
    return staff if staff is not None and staff.revoked_at is None else None


async def _credential(session: AsyncSession, staff_id: int, now: datetime) -> StaffCredential:
    row = await session.get(StaffCredential, staff_id, with_for_update=True)
    if row is None:
        row = StaffCredential(staff_id=staff_id, failures=0, updated_at=now)
        session.add(row)
        await session.flush()
    return row


async def set_password(session: AsyncSession, staff_id: int, password: str, now: datetime) -> None:
    """Stores an argon2id hash of `password` for an active account and clears its lockout."""
    if await _active_staff(session, staff_id) is None:
        raise SignInError(N_("No existe una cuenta activa con el número {id}."), id=staff_id)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise SignInError(
            N_("La contraseña debe tener al menos {n} caracteres."), n=MIN_PASSWORD_LENGTH
        )
    row = await _credential(session, staff_id, now)
    row.password_hash = _HASHER.hash(password)
    row.failures = 0
    row.locked_until = None
    row.updated_at = now
    await record(
        session,
        at=now,
        actor_kind="sistema",
        actor="cli",
        action="panel.password_set",
        target=f"staff:{staff_id}",
        outcome="ok",
    )


async def enable_totp(session: AsyncSession, staff_id: int, now: datetime) -> str:
    """Gives the account a new TOTP secret; returns its otpauth:// URI for an authenticator app."""
    staff = await _active_staff(session, staff_id)
    if staff is None:
        raise SignInError(N_("No existe una cuenta activa con el número {id}."), id=staff_id)
    row = await _credential(session, staff_id, now)
    row.totp_secret = pyotp.random_base32()
    row.updated_at = now
    await record(
        session,
        at=now,
        actor_kind="sistema",
        actor="cli",
        action="panel.totp_enabled",
        target=f"staff:{staff_id}",
        outcome="ok",
    )
    return pyotp.TOTP(row.totp_secret).provisioning_uri(
        name=f"cuenta {staff_id}", issuer_name=TOTP_ISSUER
    )


async def _refuse(
    session: AsyncSession,
    staff_id: int,
    row: StaffCredential | None,
    reason: str,
    now: datetime,
    policy: SignInPolicy,
) -> SignInError:
    """Counts a failure (locking at the limit), audits it and returns the error to raise."""
    locked = False
    if row is not None:
        row.failures += 1
        row.updated_at = now
        if row.failures >= policy.max_failures:
            row.locked_until = now + policy.lock
            row.failures = 0
            locked = True
    await record(
        session,
        at=now,
        actor_kind="anonimo",
        actor=f"panel:{staff_id}",
        action="panel.signin",
        target=f"staff:{staff_id}",
        outcome="locked" if locked else reason,
    )
    if locked:
        return SignInError(LOCKED, minutes=int(policy.lock.total_seconds() // 60))
    return SignInError(BAD_CREDENTIALS)


async def _check_lock(
    session: AsyncSession, staff_id: int, row: StaffCredential | None, now: datetime
) -> None:
    if row is not None and row.locked_until is not None and row.locked_until > now:
        await record(
            session,
            at=now,
            actor_kind="anonimo",
            actor=f"panel:{staff_id}",
            action="panel.signin",
            target=f"staff:{staff_id}",
            outcome="while_locked",
        )
        minutes = max(1, int((row.locked_until - now).total_seconds() // 60) + 1)
        raise SignInError(LOCKED, minutes=minutes)


async def _succeed(
    session: AsyncSession, staff: Staff, row: StaffCredential, how: str, now: datetime
) -> None:
    row.failures = 0
    row.locked_until = None
    row.updated_at = now
    await record(
        session,
        at=now,
        actor_kind="staff",
        actor=f"staff:{staff.id}",
        action="panel.signin",
        target=f"staff:{staff.id}",
        outcome="ok",
        detail={"how": how},
    )


async def sign_in_with_password(
    session: AsyncSession,
    staff_id: int,
    password: str,
    totp_code: str,
    *,
    now: datetime,
    policy: SignInPolicy,
) -> Staff:
    """The account when its password (and TOTP code, if enabled) are right; else `SignInError`.

    Commit the session even when this raises: the failure count and the audit entry must stay.
    """
    staff = await _active_staff(session, staff_id)
    row = await _credential(session, staff_id, now) if staff is not None else None
    await _check_lock(session, staff_id, row, now)
    stored = row.password_hash if row is not None else None
    try:
        _HASHER.verify(stored or _DUMMY_HASH, password)
        good = stored is not None
    except (VerificationError, InvalidHashError):
        good = False
    if staff is None or row is None or not good:
        raise await _refuse(session, staff_id, row, "bad_password", now, policy)
    if row.totp_secret is not None and not pyotp.TOTP(row.totp_secret).verify(
        totp_code.strip(), for_time=now, valid_window=1
    ):
        raise await _refuse(session, staff_id, row, "bad_totp", now, policy)
    if stored is not None and _HASHER.check_needs_rehash(stored):
        row.password_hash = _HASHER.hash(password)
    await _succeed(session, staff, row, "password", now)
    return staff


async def send_sign_in_code(
    session: AsyncSession,
    staff_id: int,
    *,
    now: datetime,
    policy: SignInPolicy,
    locale: str | None = None,
) -> bool:
    """Queues a one-time code to the account's linked Telegram chat; False when there is none.

    The caller answers the same either way (no account enumeration).
    """
    staff = await _active_staff(session, staff_id)
    if staff is None or staff.telegram_user_id is None:
        await record(
            session,
            at=now,
            actor_kind="anonimo",
            actor=f"panel:{staff_id}",
            action="panel.code_sent",
            target=f"staff:{staff_id}",
            outcome="no_chat",
        )
        return False
    row = await _credential(session, staff_id, now)
    await _check_lock(session, staff_id, row, now)
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    row.code_hash = token_hash(code)
    row.code_expires_at = now + policy.code_ttl
    row.updated_at = now
    tr = translator(locale)
    await enqueue(
        session,
        channel="telegram",
        address=str(staff.telegram_user_id),
        body=tr.t(
            "Su código para entrar al panel del personal es {code}. Vence en {minutes} minutos. "
            "No lo comparta con nadie; si usted no lo pidió, avise a su administrador.",
            code=code,
            minutes=int(policy.code_ttl.total_seconds() // 60),
        ),
        kind="panel_code",
        dedupe_key=f"panel-code:{staff_id}:{secrets.token_hex(8)}",
        due_at=now,
        now=now,
    )
    await record(
        session,
        at=now,
        actor_kind="staff",
        actor=f"staff:{staff_id}",
        action="panel.code_sent",
        target=f"staff:{staff_id}",
        outcome="ok",
    )
    return True


async def sign_in_with_code(
    session: AsyncSession, staff_id: int, code: str, *, now: datetime, policy: SignInPolicy
) -> Staff:
    """The account when `code` is its unexpired one-time code (then spent); else `SignInError`."""
    staff = await _active_staff(session, staff_id)
    row = await _credential(session, staff_id, now) if staff is not None else None
    await _check_lock(session, staff_id, row, now)
    good = (
        row is not None
        and row.code_hash is not None
        and row.code_expires_at is not None
        and row.code_expires_at > now
        and hmac.compare_digest(row.code_hash, token_hash("".join(code.split())))
    )
    if staff is None or row is None or not good:
        raise await _refuse(session, staff_id, row, "bad_code", now, policy)
    row.code_hash = None
    row.code_expires_at = None
    await _succeed(session, staff, row, "telegram_code", now)
    return staff


async def open_session(
    session: AsyncSession, staff: Staff, *, now: datetime, policy: SignInPolicy
) -> str:
    """Starts a panel session for a signed-in account; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    session.add(
        PanelSession(
            token_hash=token_hash(token),
            staff_id=staff.id,
            created_at=now,
            expires_at=now + policy.idle,
            absolute_expires_at=now + policy.absolute,
            ended_at=None,
        )
    )
    await session.flush()
    return token


async def session_of(
    session: AsyncSession, token: str, *, now: datetime, policy: SignInPolicy
) -> SignedIn | None:
    """Who a session token belongs to, sliding its idle expiry; None when ended or expired.

    An expired session is ended and audited the first time it is presented.
    """
    row = await session.get(PanelSession, token_hash(token))
    if row is None or row.ended_at is not None:
        return None
    staff = await _active_staff(session, row.staff_id)
    if staff is None or row.expires_at <= now or row.absolute_expires_at <= now:
        row.ended_at = now
        await record(
            session,
            at=now,
            actor_kind="staff",
            actor=f"staff:{row.staff_id}",
            action="panel.session_expired",
            target=f"staff:{row.staff_id}",
            outcome="revoked" if staff is None else "expired",
        )
        return None
    # Slide the idle expiry, but write it at most once a minute (not on every page view).
    slid = min(now + policy.idle, row.absolute_expires_at)
    if slid - row.expires_at >= timedelta(minutes=1):
        row.expires_at = slid
    return SignedIn(scope_of(staff), staff.name, row.token_hash)


async def close_session(session: AsyncSession, token: str, *, now: datetime) -> None:
    """Ends a session (sign-out), audited."""
    row = await session.get(PanelSession, token_hash(token))
    if row is None or row.ended_at is not None:
        return
    row.ended_at = now
    await record(
        session,
        at=now,
        actor_kind="staff",
        actor=f"staff:{row.staff_id}",
        action="panel.signout",
        target=f"staff:{row.staff_id}",
        outcome="ok",
    )


async def end_sessions_of(session: AsyncSession, staff_id: int, now: datetime) -> None:
    """Ends every open session of an account (its password changed or it was revoked)."""
    await session.execute(
        update(PanelSession)
        .where(PanelSession.staff_id == staff_id, PanelSession.ended_at.is_(None))
        .values(ended_at=now)
    )


async def ensure_demo_account(session: AsyncSession, now: datetime) -> tuple[int, str]:
    """A local try's national demo account with a fresh random password; returns both.

    Only for `make run` without tokens on SQLite (the caller checks `Settings.is_production`).
    """
    staff = await session.scalar(
        select(Staff).where(Staff.name == DEMO_ACCOUNT_NAME, Staff.revoked_at.is_(None))
    )
    if staff is None:
        staff = Staff(name=DEMO_ACCOUNT_NAME, role=Role.ADMIN.value, created_at=now)
        session.add(staff)
        await session.flush()
    password = secrets.token_urlsafe(9)
    await set_password(session, staff.id, password, now)
    return staff.id, password


SESSION_KEY_SUFFIX = ".panel-key"
_SESSION_KEY_PURPOSE = (
    "clave secreta de las sesiones del panel del personal (firma cookies y tokens CSRF); genere "
    'una con `python -c "import secrets; print(secrets.token_urlsafe(32))"`'
)


def load_session_key(settings: Settings) -> bytes:
    """PANEL_SESSION_KEY, or on a local SQLite try one generated beside the database file."""
    return load_secret(
        settings,
        settings.panel_session_key,
        setting="PANEL_SESSION_KEY",
        purpose=_SESSION_KEY_PURPOSE,
        suffix=SESSION_KEY_SUFFIX,
    )
