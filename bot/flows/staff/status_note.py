"""The two steps every staff status change shares: pick the new status, then write a note.

The flows' states derive from `StatusPick`, which holds the status chosen between the two.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from bot.flows.base import Answer, FlowContext, Option, Outcome, Reply

MAX_NOTE_CHARS = 1000


@dataclass(frozen=True)
class StatusPick:
    """The new status a staff member chose («» until they choose)."""

    status: str = ""


P = TypeVar("P", bound=StatusPick)


def ask_for_note(
    ctx: FlowContext,
    state: P,
    answer: Answer,
    labels: Mapping[str, str],
    prompt: str,
) -> Outcome:
    """Takes the status button pressed (one of `labels`) and asks for the note with `prompt`."""
    status = (answer.option or "").removeprefix("status:")
    if status not in labels:
        return Outcome(
            [Reply(ctx.t("Elija el nuevo estado con uno de los botones."))],
            step="choosing_status",
            state=state,
        )
    return Outcome(
        [Reply(prompt, (Option("sin_nota", ctx.t("Sin nota")),))],
        step="writing_note",
        state=replace(state, status=status),
    )


def read_note(ctx: FlowContext, state: StatusPick, answer: Answer) -> str | Outcome:
    """Returns the note («Sin nota» is empty), or the Outcome that refuses a too-long one."""
    note = "" if answer.option == "sin_nota" else answer.text.strip()
    if len(note) <= MAX_NOTE_CHARS:
        return note
    return Outcome(
        [
            Reply(
                ctx.t(
                    "La nota tiene {count} caracteres; el máximo es {limit}.",
                    count=len(note),
                    limit=MAX_NOTE_CHARS,
                )
            )
        ],
        step="writing_note",
        state=state,
    )
