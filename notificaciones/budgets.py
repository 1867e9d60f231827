"""Sending budgets shared by every replica: token buckets in PostgreSQL, one row per budget.

Each dispatcher used to pace itself at SMS_RATE_PER_SECOND, so N replicas sent N times that
(and counted Telegram's ~30 messages/s per bot in each process). Here a budget is one row of
`send_budgets`; taking a token is one `INSERT … ON CONFLICT DO UPDATE … RETURNING` that refills
the bucket for the time elapsed since its last refill (at `rate`, up to `capacity`), takes the
token and returns the balance. The balance may go below zero: that is a reservation, and the
caller waits `-balance / rate` seconds before sending, so concurrent takers queue up in the
order the row lock serialised them and the sum of all replicas never exceeds the rate. The
clock is the database's (`clock_timestamp()`), so replicas whose clocks differ share one budget.

Budgets: `sms` (SMS_RATE_PER_SECOND), `telegram` (TELEGRAM_RATE_PER_SECOND, Telegram's limit per
bot), `telegram-paid` (notices sent with `allow_paid_broadcast`, which Telegram lets through up
to 1,000/s outside the free limit) and one per Telegram chat (TELEGRAM_CHAT_RATE_PER_SECOND),
named by a digest of the chat id (no chat id in this table) and deleted by the retention job
once idle. Capacity is one token: no burst, the same spacing as the in-process pacing that
SQLite (one process) keeps.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, literal_column
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.storage.db import SessionFactory
from bot.storage.models import SendBudget

SMS = "sms"
TELEGRAM = "telegram"
TELEGRAM_PAID = "telegram-paid"
CHAT_PREFIX = "tg-chat:"
IDLE_CHAT_SECONDS = 60.0


@dataclass(frozen=True)
class Budget:
    """A rate (tokens per second) and a capacity (the largest burst)."""

    name: str
    rate: float
    capacity: float = 1.0


def chat_budget_name(chat_id: str) -> str:
    """The per-chat budget's name: a digest, so the table holds no chat id."""
    digest = hashlib.blake2b(chat_id.encode(), digest_size=10, person=b"mies-budget").hexdigest()
    return CHAT_PREFIX + digest


_NOW = func.extract("epoch", func.clock_timestamp())


def _take_statement(budget: Budget, cost: float) -> Any:
    row = pg_insert(SendBudget).values(
        name=budget.name,
        tokens=budget.capacity - cost,
        capacity=budget.capacity,
        rate=budget.rate,
        refilled_at=_NOW,
    )
    new = row.excluded
    table = SendBudget.__table__.c
    elapsed = func.greatest(0.0, new.refilled_at - table.refilled_at)
    refilled = func.least(new.capacity, table.tokens + new.rate * elapsed)
    return row.on_conflict_do_update(
        index_elements=[SendBudget.name],
        set_={
            "tokens": refilled - cost,
            "capacity": new.capacity,
            "rate": new.rate,
            "refilled_at": func.greatest(table.refilled_at, new.refilled_at),
        },
    ).returning(literal_column("send_budgets.tokens"))


@dataclass
class SharedBudgets:
    """The budgets of one deployment, taken from PostgreSQL by any number of processes."""

    session_factory: SessionFactory
    sms: Budget
    telegram: Budget
    telegram_paid: Budget
    chat_rate: float

    @classmethod
    def from_settings(cls, session_factory: SessionFactory, settings: Settings) -> SharedBudgets:
        """The configured budgets."""
        return cls(
            session_factory,
            sms=Budget(SMS, settings.sms_rate_per_second),
            telegram=Budget(TELEGRAM, settings.telegram_rate_per_second),
            telegram_paid=Budget(TELEGRAM_PAID, settings.telegram_paid_rate_per_second),
            chat_rate=settings.telegram_chat_rate_per_second,
        )

    async def take(self, budget: Budget, cost: float = 1.0) -> float:
        """Takes `cost` tokens; returns the seconds to wait before using them (0 if none)."""
        async with self.session_factory() as session, session.begin():
            balance = await take_in(session, budget, cost)
        return max(0.0, -balance / budget.rate)

    async def wait_for(self, channel: str, address: str, *, paid: bool = False) -> float:
        """Takes what one message to `address` on `channel` needs; returns the wait."""
        if channel != "telegram":
            return await self.take(self.sms)
        wait = await self.take(self.telegram_paid if paid else self.telegram)
        chat = await self.take(Budget(chat_budget_name(address), self.chat_rate))
        return max(wait, chat)


async def take_in(session: AsyncSession, budget: Budget, cost: float) -> float:
    """Takes `cost` tokens inside the caller's transaction (PostgreSQL); returns the balance.

    A negative balance is a reservation: the n-th of the tokens taken (counting from 0) may be
    used `-(balance + cost - 1 - n) / rate` seconds from now (`waits`).
    """
    result = await session.execute(_take_statement(budget, cost))
    return float(result.scalar_one())


def waits(budget: Budget, balance: float, count: int) -> list[float]:
    """The seconds to wait before each of the `count` tokens just taken, given the balance."""
    return [max(0.0, -(balance + count - 1 - n) / budget.rate) for n in range(count)]


async def prune_idle_chat_budgets(session: AsyncSession) -> int:
    """Deletes per-chat budgets idle for a minute (full again: nothing is lost)."""
    if session.bind is None or session.bind.dialect.name != "postgresql":
        return 0
    result = await session.execute(
        delete(SendBudget)
        .where(
            SendBudget.name.startswith(CHAT_PREFIX),
            SendBudget.refilled_at < _NOW - IDLE_CHAT_SECONDS,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
