"""The audit log: every personal-data lookup and staff action, with pseudonymised actors."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import AuditEntry

# Pseudonyms let auditors correlate entries without the log holding a cédula or a chat id.
_PEPPER = b"mies-conecta-audit-v1"


def pseudonym(value: str) -> str:
    """Returns a stable keyed hash of `value` (a cédula, chat id or phone) for logs and audit."""
    return hmac.new(_PEPPER, value.encode(), hashlib.sha256).hexdigest()[:20]


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
            actor_ref=pseudonym(actor),
            action=action,
            target=target,
            outcome=outcome,
            detail=detail or {},
        )
    )
