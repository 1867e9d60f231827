"""The two steps every staff status change shares: pick the new status, then write a note."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.flows.base import Answer, FlowContext, Option, Outcome, Reply

MAX_NOTE_CHARS = 1000


def ask_for_note(
    ctx: FlowContext,
    data: dict[str, Any],
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
            data=data,
        )
    return Outcome(
        [Reply(prompt, (Option("sin_nota", ctx.t("Sin nota")),))],
        step="writing_note",
        data={**data, "status": status},
    )


def read_note(ctx: FlowContext, data: dict[str, Any], answer: Answer) -> str | Outcome:
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
        data=data,
    )
