"""The outbox dispatcher: claims due rows, sends them at the configured rate, stores the outcome.

Crash rules (why the steps are ordered this way):
1. Rows are claimed (status SENDING, attempt counted) and committed *before* the provider is called.
2. The provider is called. Its answer is stored afterwards, in one transaction per batch.
A crash after step 1 leaves SENDING rows; a connection dropped after the request was written
leaves an UNCONFIRMED row (the gateway's UNKNOWN outcome). Neither is ever re-sent blindly:
`reconcile_stale` asks the provider (by SID if a status callback already told us, else by listing
recent messages to that number) — a SENDING row once its lease expires, an UNCONFIRMED one when
its next check is due. Found → SENT with the provider's SID; not received and older than
`SAFE_WINDOW` → re-queued; the provider cannot be asked → checked again later, and after
`RECONCILE_CHECKS` lookups the row becomes UNKNOWN for staff; a gateway that cannot tell at all
(the console) → UNKNOWN at once. Every status it writes goes through `notificaciones.outbox_states`
(the state machine's one owner): the dispatcher decides which move an outcome calls for.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.config import Settings
from bot.domain.channels import ANSWER_KINDS, PHONE_CHANNELS
from bot.domain.clock import Clock, utc_now
from bot.domain.quiet_hours import next_allowed, zones_quiet_now
from bot.storage.db import SessionFactory
from bot.storage.models import OutboxMessage
from notificaciones import outbox, outbox_states
from notificaciones.budgets import SharedBudgets
from notificaciones.fallback import fall_back_to_sms, unreachable_chats
from notificaciones.gateways.sms import (
    LookupResult,
    ProviderMessage,
    SendOutcome,
    SendResult,
    SmsGateway,
)
from notificaciones.gateways.telegram import PaidBroadcastSender, TelegramSender
from notificaciones.gateways.whatsapp import WhatsAppGateway
from notificaciones.time_zones import phone_zones
from notificaciones.whatsapp_window import WhatsAppPlan, whatsapp_plans

log = logging.getLogger(__name__)

Checkpoint = Callable[[str, int], Awaitable[None]]
# Provider statuses that mean the message failed after it was accepted.
FAILED_PROVIDER_STATUSES = frozenset({"failed", "undelivered", "canceled"})
BROADCAST_KIND = "broadcast"  # bot.services.broadcasts.KIND (a floor above: not imported)


async def _no_checkpoint(_point: str, _row_id: int) -> None:
    return None


def default_worker_name() -> str:
    """A name for this dispatcher: host, process id and a random part (recorded in `claimed_by`).

    It is also the holder of the dispatcher's lease (notificaciones/leases.py): the random part
    makes a restarted process (same host, same pid in a container) a new holder.
    """
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True)
class DispatchReport:
    """What one dispatch pass did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    opted_out: int = 0
    deferred: int = 0
    unconfirmed: int = 0


@dataclass(frozen=True)
class _Plans:
    """What the claim transaction learnt about how to send the claimed rows."""

    whatsapp: dict[int, WhatsAppPlan] = field(default_factory=dict)
    unreachable: frozenset[str] = frozenset()  # Telegram chats known to refuse the bot


@dataclass
class Dispatcher:
    """Sends due outbox rows through the SMS gateway, the Telegram sender and WhatsApp."""

    session_factory: SessionFactory
    settings: Settings
    gateway: SmsGateway
    telegram: TelegramSender | None = None
    whatsapp: WhatsAppGateway | None = None
    clock: Clock = utc_now
    rate_per_second: float | None = None
    batch_size: int = 200
    concurrency: int = 20
    lease: timedelta = timedelta(minutes=10)
    worker: str = field(default_factory=default_worker_name)
    checkpoint: Checkpoint = _no_checkpoint
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    monotonic: Callable[[], float] = time.monotonic
    # Shared with every replica on PostgreSQL (notificaciones/budgets.py); None: paced here.
    budgets: SharedBudgets | None = None
    _next_slot: float = 0.0

    @classmethod
    def from_settings(
        cls,
        session_factory: SessionFactory,
        settings: Settings,
        gateway: SmsGateway,
        *,
        telegram: TelegramSender | None = None,
        whatsapp: WhatsAppGateway | None = None,
        clock: Clock,
    ) -> Dispatcher:
        """Builds a dispatcher sending at `settings.sms_rate_per_second`."""
        rate = settings.sms_rate_per_second if settings.sms_rate_per_second > 0 else None
        batch = max(1, min(200, int(rate * 2))) if rate else 200
        return cls(
            session_factory,
            settings,
            gateway,
            telegram=telegram,
            whatsapp=whatsapp,
            clock=clock,
            rate_per_second=rate,
            batch_size=batch,
        )

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels this dispatcher can deliver."""
        channels = ("sms", "telegram") if self.telegram is not None else ("sms",)
        return (*channels, "whatsapp") if self.whatsapp is not None else channels

    async def run_once(self) -> DispatchReport:
        """Reconciles stale sends, then claims and sends one batch of due rows."""
        await self.reconcile_stale()
        now = self.clock()
        async with self.session_factory() as session, session.begin():
            claimed = await outbox_states.claim_due(
                session, now=now, worker=self.worker, limit=self.batch_size, channels=self.channels
            )
            claimed, deferred = await self._defer_quiet(session, claimed, now)
            plans = await self._plans(session, claimed, now)
        if not claimed:
            return DispatchReport(deferred=deferred)
        outcomes = await self._send_all(claimed, plans)
        report = await self._store(claimed, outcomes)
        return DispatchReport(
            claimed=len(claimed),
            sent=report.sent,
            retried=report.retried,
            failed=report.failed,
            opted_out=report.opted_out,
            deferred=deferred,
            unconfirmed=report.unconfirmed,
        )

    async def send_now(self, ids: list[int]) -> None:
        """Sends these rows at once if they are still pending: a conversation's replies.

        No quiet-hours deferral: the person has just written to us and waits for the answer.
        A row another dispatcher already claimed is left to it.
        """
        if not ids:
            return
        now = self.clock()
        async with self.session_factory() as session, session.begin():
            claimed = await outbox_states.claim_due(
                session,
                now=now,
                worker=self.worker,
                limit=len(ids),
                channels=self.channels,
                ids=ids,
            )
            plans = await self._plans(session, claimed, now)
        if claimed:
            await self._store(claimed, await self._send_all(claimed, plans))

    async def _plans(
        self, session: AsyncSession, claimed: list[outbox_states.ClaimedMessage], now: datetime
    ) -> _Plans:
        """WhatsApp rows' window or template, and Telegram chats known to refuse the bot."""
        whatsapp = [(m.id, m.body) for m in claimed if m.channel == "whatsapp"]
        chats = [m.address for m in claimed if m.channel == "telegram"]
        return _Plans(
            whatsapp=await whatsapp_plans(session, self.settings, whatsapp, now),
            unreachable=frozenset(await unreachable_chats(session, chats)),
        )

    async def run_until_idle(self, max_batches: int = 1_000_000) -> DispatchReport:
        """Dispatches batches until nothing is due (tests, benchmarks, one-shot runs)."""
        total = DispatchReport()
        for _ in range(max_batches):
            report = await self.run_once()
            total = _add(total, report)
            if report.claimed == 0:
                break
        return total

    async def run_forever(self, idle_seconds: float = 2.0) -> None:
        """Dispatches until cancelled, polling the outbox when it is empty."""
        while True:
            try:
                report = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Dispatch pass failed; trying again shortly")
                report = DispatchReport()
            if report.claimed == 0:
                await self.sleep(idle_seconds)

    # --- sending ---------------------------------------------------------------------------

    def _paid(self, message: outbox_states.ClaimedMessage) -> bool:
        """A Telegram notice of a broadcast, when paid broadcasts are allowed."""
        return (
            message.channel == "telegram"
            and message.kind == BROADCAST_KIND
            and self.settings.telegram_allow_paid_broadcast
        )

    async def _pace(self, message: outbox_states.ClaimedMessage) -> None:
        if self.budgets is not None:
            wait = await self.budgets.wait_for(
                message.channel, message.address, paid=self._paid(message)
            )
            if wait > 0:
                await self.sleep(wait)
            return
        if not self.rate_per_second:
            return
        now = self.monotonic()
        wait = self._next_slot - now
        if wait > 0:
            await self.sleep(wait)
        self._next_slot = max(now, self._next_slot) + 1.0 / self.rate_per_second

    async def _send_all(
        self, claimed: list[outbox_states.ClaimedMessage], plans: _Plans | None = None
    ) -> list[SendOutcome]:
        plans = plans or _Plans()
        slots = asyncio.Semaphore(max(1, self.concurrency))
        tasks: list[asyncio.Task[SendOutcome]] = []

        async def one(message: outbox_states.ClaimedMessage) -> SendOutcome:
            try:
                await self.checkpoint("before_send", message.id)
                outcome = await self._send_one(message, plans)
                metrics.provider_result(message.channel, outcome.result.value)
                await self.checkpoint("after_send", message.id)
                return outcome
            finally:
                slots.release()

        try:
            for message in claimed:
                await self._pace(message)
                await slots.acquire()
                tasks.append(asyncio.create_task(one(message)))
            return list(await asyncio.gather(*tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            raise

    async def _send_one(self, message: outbox_states.ClaimedMessage, plans: _Plans) -> SendOutcome:
        try:
            if message.channel == "telegram" and message.address in plans.unreachable:
                return SendOutcome(SendResult.UNREACHABLE, reason="telegram: chat unreachable")
            if message.channel == "telegram" and self.telegram is not None:
                if self._paid(message) and isinstance(self.telegram, PaidBroadcastSender):
                    return await self.telegram.send_paid_broadcast(message.address, message.body)
                return await self.telegram.send_text(message.address, message.body, message.buttons)
            if message.channel == "whatsapp" and self.whatsapp is not None:
                plan = plans.whatsapp.get(message.id, WhatsAppPlan())
                if plan.refused is not None:
                    return SendOutcome(SendResult.PERMANENT, reason=plan.refused)
                return await self.whatsapp.send(
                    message.address, message.body, reference=str(message.id), template=plan.template
                )
            return await self.gateway.send(message.address, message.body, reference=str(message.id))
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
            raise
        except Exception as error:  # an adapter bug must not lose the row: retry it later
            log.exception("Gateway raised while sending outbox row %s", message.id)
            return SendOutcome(SendResult.TRANSIENT, reason=f"error: {type(error).__name__}")

    # --- storing -----------------------------------------------------------------------------

    async def _store(
        self, claimed: list[outbox_states.ClaimedMessage], outcomes: list[SendOutcome]
    ) -> DispatchReport:
        now = self.clock()
        counts = dict.fromkeys(SendResult, 0)
        settlements: list[outbox_states.Settlement] = []
        async with self.session_factory() as session, session.begin():
            for message, outcome in zip(claimed, outcomes, strict=True):
                settlement = self._settlement(message, outcome, now)
                settlements.append(settlement)
                result = outcome.result
                if result is SendResult.TRANSIENT and settlement.status == outbox_states.FAILED:
                    result = SendResult.PERMANENT  # attempts used up: counted as failed
                if result is SendResult.UNREACHABLE:
                    result = SendResult.PERMANENT  # counted as failed; the person may get an SMS
                    if message.channel == "telegram":
                        await fall_back_to_sms(
                            session, self.settings, message.id, message.address, now=now
                        )
                counts[result] += 1
                if message.channel in PHONE_CHANNELS and result is SendResult.OPTED_OUT:
                    await outbox.add_opt_out(
                        session, message.address, now=now, source="provider_21610"
                    )
                elif (
                    message.channel == "sms"
                    and outcome.result is SendResult.PERMANENT
                    and outcome.error_code is not None
                ):
                    # An invalid or landline number: mark it so no sender path tries it again.
                    await outbox.add_opt_out(
                        session, message.address, now=now, source=f"invalid_{outcome.error_code}"
                    )
            await outbox_states.store_settlements(session, settlements, now=now)
            for message in claimed:
                await self.checkpoint("before_commit", message.id)
        if counts[SendResult.TRANSIENT]:
            await self._respect_quiet_hours_for_retries(
                [
                    m
                    for m, s in zip(claimed, settlements, strict=True)
                    if s.status == outbox_states.PENDING
                ]
            )
        return DispatchReport(
            sent=counts[SendResult.ACCEPTED],
            retried=counts[SendResult.TRANSIENT],
            failed=counts[SendResult.PERMANENT],
            opted_out=counts[SendResult.OPTED_OUT],
            unconfirmed=counts[SendResult.UNKNOWN],
        )

    def _settlement(
        self, message: outbox_states.ClaimedMessage, outcome: SendOutcome, now: datetime
    ) -> outbox_states.Settlement:
        """The move of the state machine that a send's outcome calls for."""
        return settlement_for(
            message,
            outcome,
            now,
            max_attempts=self.settings.sms_max_attempts,
            safe_window=timedelta(seconds=self.settings.sms_safe_window_seconds),
        )

    async def _respect_quiet_hours_for_retries(
        self, messages: list[outbox_states.ClaimedMessage]
    ) -> None:
        sms = [m for m in messages if m.channel == "sms"]
        if not sms:
            return
        start, end = self.settings.quiet_hours_start, self.settings.quiet_hours_end
        async with self.session_factory() as session, session.begin():
            zones = await phone_zones(session, [m.address for m in sms], self.settings.timezone)
            rows = await session.execute(
                select(
                    OutboxMessage.id, OutboxMessage.address, OutboxMessage.next_attempt_at
                ).where(
                    OutboxMessage.id.in_([m.id for m in sms]),
                    OutboxMessage.status == outbox_states.PENDING,
                )
            )
            for row_id, address, due in rows.all():
                allowed = next_allowed(due, zones[address], start, end)
                if allowed != due:
                    await outbox_states.postpone(session, row_id, until=allowed)

    async def _defer_quiet(
        self, session: AsyncSession, claimed: list[outbox_states.ClaimedMessage], now: datetime
    ) -> tuple[list[outbox_states.ClaimedMessage], int]:
        """Puts back SMS rows whose recipient is in quiet hours now (in the claim transaction)."""
        start, end = self.settings.quiet_hours_start, self.settings.quiet_hours_end
        sms = [m for m in claimed if _quiet_applies(m)]
        if not sms:
            return claimed, 0
        candidate_zones = {self.settings.timezone, *QUIET_CHECK_ZONES}
        if not zones_quiet_now(now, candidate_zones, start, end):
            return claimed, 0
        zones = await phone_zones(session, [m.address for m in sms], self.settings.timezone)
        keep: list[outbox_states.ClaimedMessage] = []
        deferred = 0
        for message in claimed:
            allowed = (
                next_allowed(now, zones[message.address], start, end)
                if _quiet_applies(message)
                else now
            )
            if allowed == now:
                keep.append(message)
                continue
            await outbox_states.put_back(session, message.id, until=allowed)
            deferred += 1
        return keep, deferred

    # --- reconciliation -------------------------------------------------------------------

    async def reconcile_stale(self) -> int:
        """Settles sends of unknown outcome: found → SENT, provably never received → re-queued.

        Those are SENDING rows whose dispatcher is known dead (its lease in `dispatcher_leases`
        expired) or claimed longer ago than `lease` (the fallback for a dispatcher without a
        lease row), and UNCONFIRMED rows whose next check is due.
        """
        now = self.clock()
        async with self.session_factory() as session:
            stale = await outbox_states.stale_sends(session, now=now, lease=self.lease)
        settled = 0
        for row in stale:
            settled += await self._reconcile_row(row, now)
        return settled

    async def _reconcile_row(self, row: OutboxMessage, now: datetime) -> int:
        found: ProviderMessage | None = None
        verdict = LookupResult.UNKNOWN
        # WhatsApp messages live in the same Twilio account: the SMS gateway can look them up.
        to = f"whatsapp:{row.address}" if row.channel == "whatsapp" else row.address
        if row.provider_sid and row.channel in PHONE_CHANNELS:
            found = await self.gateway.fetch(row.provider_sid)
            verdict = LookupResult.FOUND if found else LookupResult.UNAVAILABLE
        elif row.channel in PHONE_CHANNELS:
            lookup = await self.gateway.find_sent(to, row.body, row.claimed_at or now)
            verdict, found = lookup.result, lookup.message
        values = outbox_states.reconciliation(
            row,
            verdict,
            found,
            now=now,
            max_attempts=self.settings.sms_max_attempts,
            safe_window=timedelta(seconds=self.settings.sms_safe_window_seconds),
        )
        async with self.session_factory() as session, session.begin():
            await outbox_states.store_reconciliation(session, row, values)
        log.info("Reconciled outbox row %s: %s", row.id, verdict.value)
        return 1


def settlement_for(
    message: outbox_states.ClaimedMessage,
    outcome: SendOutcome,
    now: datetime,
    *,
    max_attempts: int,
    safe_window: timedelta = outbox_states.SAFE_WINDOW,
) -> outbox_states.Settlement:
    """The move of the state machine that a send's outcome calls for (any sender of the outbox)."""
    if outcome.result is SendResult.ACCEPTED:
        return outbox_states.accepted(
            message, sid=outcome.provider_sid, provider_status=outcome.provider_status, now=now
        )
    if outcome.result is SendResult.UNKNOWN:
        return outbox_states.outcome_unknown(
            message, reason=outcome.reason, now=now, safe_window=safe_window
        )
    if outcome.result is SendResult.TRANSIENT:
        return outbox_states.try_again(
            message, reason=outcome.reason, now=now, max_attempts=max_attempts
        )
    if outcome.result is SendResult.OPTED_OUT:
        return outbox_states.stopped_by_recipient(message, reason=outcome.reason)
    return outbox_states.refused(message, reason=outcome.reason)


# Every zone an Ecuadorian recipient can be in: if it is daytime in all, skip per-phone lookups.
QUIET_CHECK_ZONES = (ZoneInfo("America/Guayaquil"), ZoneInfo("Pacific/Galapagos"))


def _quiet_applies(message: outbox_states.ClaimedMessage) -> bool:
    """Whether quiet hours hold this row back: notices by SMS or WhatsApp, not answers (the
    person has just written and waits for them)."""
    return message.channel in PHONE_CHANNELS and message.kind not in ANSWER_KINDS


def _add(a: DispatchReport, b: DispatchReport) -> DispatchReport:
    return DispatchReport(
        claimed=a.claimed + b.claimed,
        sent=a.sent + b.sent,
        retried=a.retried + b.retried,
        failed=a.failed + b.failed,
        opted_out=a.opted_out + b.opted_out,
        deferred=a.deferred + b.deferred,
        unconfirmed=a.unconfirmed + b.unconfirmed,
    )
