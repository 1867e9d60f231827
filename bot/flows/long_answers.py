"""Keeping an overlong answer up to its limit, and telling the citizen what was kept."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.long_text import keep_up_to
from bot.flows.base import Answer, FlowContext


@dataclass(frozen=True)
class KeptAnswer:
    """The text to store and the notes to show before the next question (none when whole)."""

    text: str
    notes: tuple[str, ...]


def kept_note(ctx: FlowContext, original_length: int, limit: int, ending: str) -> str:
    """«Su mensaje era muy largo… guardé hasta «…»»."""
    return ctx.t(
        "Su mensaje era muy largo ({count} caracteres). Guardé los primeros {limit}, hasta "
        "«…{ending}». Lo que seguía no se guardó.",
        count=original_length,
        limit=limit,
        ending=ending,
    )


def keep_up_to_limit(ctx: FlowContext, answer: Answer, limit: int) -> KeptAnswer:
    """The answer cut to `limit` characters, with a note when something was left out (counting
    what the engine already left out of a message over its own limit)."""
    kept = keep_up_to(answer.text, limit)
    length = max(kept.original_length, answer.original_length or 0)
    if length <= limit:
        return KeptAnswer(kept.text, ())
    ctx.told_kept = True
    return KeptAnswer(kept.text, (kept_note(ctx, length, limit, kept.ending),))
