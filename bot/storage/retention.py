"""Retention: old rows of the outbox, the inbound SMS log and the audit log are deleted in batches.

Without it these tables grow for ever (a broadcast adds a row per recipient). What is deleted:
- outbox rows already settled (sent, failed, opted out, withdrawn) and not touched for
  OUTBOX_RETENTION_DAYS. Rows still queued, in flight or of unknown outcome (pending, sending,
  unconfirmed, unknown) are never deleted. Keep the age well above the announcement horizon
  (notificaciones/jobs.py: 60 days): the row's dedupe key is what stops a reminder from being
  queued twice, and the privacy notice promises the "constancia" of sent messages for that;
- inbound SMS ids older than INBOUND_RETENTION_DAYS (a signed Twilio request can be replayed
  later: after this age a replay is acted on once more, which BAJA/ALTA make harmless);
- audit entries older than AUDIT_RETENTION_DAYS (settings refuse less than a year: the privacy
  notice promises the audit log "por seguridad", and a year covers the yearly review).
0 keeps a table's rows for ever. Each batch is one short transaction (`DELETE … WHERE id IN
(SELECT … LIMIT n)`), so a large first run never holds long locks; a run stops after
`max_batches` and the next run goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import InstrumentedAttribute

from bot.storage.db import SessionFactory
from bot.storage.models import AuditEntry, InboundSms, OutboxMessage

# notificaciones.outbox's final statuses (a floor above: named here, checked by a test).
SETTLED_OUTBOX = ("sent", "failed", "opted_out", "cancelled")


@dataclass(frozen=True)
class RetentionRule:
    """One table's rule: its key column, its age column, and which rows may go."""

    table: str
    key: InstrumentedAttribute[object]
    age: InstrumentedAttribute[datetime]
    days: int
    only: ColumnElement[bool] | None = None


def retention_rules(*, outbox_days: int, inbound_days: int, audit_days: int) -> list[RetentionRule]:
    """The rules for the configured ages (a 0 age leaves its table out)."""
    rules = [
        RetentionRule(
            "outbox",
            OutboxMessage.id,
            OutboxMessage.updated_at,
            outbox_days,
            OutboxMessage.status.in_(SETTLED_OUTBOX),
        ),
        RetentionRule(
            "inbound_sms",
            InboundSms.message_sid,
            InboundSms.received_at,
            inbound_days,
        ),
        RetentionRule("audit_log", AuditEntry.id, AuditEntry.at, audit_days),
    ]
    return [rule for rule in rules if rule.days > 0]


async def apply_retention(
    session_factory: SessionFactory,
    rules: list[RetentionRule],
    now: datetime,
    *,
    batch_rows: int = 5000,
    max_batches: int = 20,
) -> dict[str, int]:
    """Deletes what the rules allow, batch by batch; returns the rows deleted per table."""
    deleted: dict[str, int] = {}
    for rule in rules:
        cutoff = now - timedelta(days=rule.days)
        total = 0
        for _ in range(max_batches):
            chosen = select(rule.key).where(rule.age < cutoff).limit(batch_rows)
            if rule.only is not None:
                chosen = chosen.where(rule.only)
            async with session_factory() as session, session.begin():
                result = await session.execute(
                    delete(rule.key.class_)
                    .where(rule.key.in_(chosen.scalar_subquery()))
                    .execution_options(synchronize_session=False)
                )
            count = int(getattr(result, "rowcount", 0) or 0)
            total += count
            if count < batch_rows:
                break
        deleted[rule.table] = total
    return deleted
