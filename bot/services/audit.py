"""The audit log: every personal-data lookup and staff action, with pseudonymised actors.

Pseudonyms are HMAC-SHA256 under a secret key (`AUDIT_PSEUDONYM_KEY`, see
`bot.services.audit_key`). The composition root binds the key to the session factory
(`bind_key`), so every session that records or pseudonymises carries it; a session without a
key refuses to pseudonymise rather than fall back to a guessable one.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import AuditEntry

_SESSION_INFO = "audit_pseudonym_key"


class AuditKeyMissing(RuntimeError):
    """A session was opened without the audit key (not built by the composition root)."""


def pseudonym(value: str, key: bytes) -> str:
    """Returns a stable keyed hash of `value` (a cédula, chat id or phone) for logs and audit."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:20]


def bind_key(factory: async_sessionmaker[AsyncSession], key: bytes) -> None:
    """Makes every session of `factory` carry the pseudonym key."""
    factory.configure(info={_SESSION_INFO: key})


def session_key(session: AsyncSession) -> bytes:
    """The pseudonym key bound to `session`; raises `AuditKeyMissing` when there is none."""
    key = session.info.get(_SESSION_INFO)
    if not isinstance(key, bytes) or not key:
        raise AuditKeyMissing("session has no audit pseudonym key: build it with build_services")
    return key


def session_pseudonym(session: AsyncSession, value: str) -> str:
    """`pseudonym(value)` under the key bound to `session`."""
    return pseudonym(value, session_key(session))


async def record(
    session: AsyncSession,
    *,
    at: datetime,
    actor_kind: str,
    actor: str,
    action: str,
    target: str | None = None,
    outcome: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Adds an audit entry; `actor` and `target` are pseudonymised unless already safe codes."""
    session.add(
        AuditEntry(
            at=at,
            actor_kind=actor_kind,
            actor_ref=session_pseudonym(session, actor),
            action=action,
            target=target,
            outcome=outcome,
            detail=detail or {},
        )
    )
