"""A Kichwa greeting («alli puncha», «imanalla») is greeted back in Kichwa, then in Spanish.

Only the greeting is Kichwa, taken from `bot/data/kichwa.toml` (not yet reviewed by a speaker,
as the file says); the pointer to the options is Spanish, translated like every other text. A
full Kichwa catalog needs review by a Kichwa speaker before the bot speaks more of it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from bot.domain.greetings import split_greeting
from bot.flows.base import FlowContext, NoState, Opening, Outcome, Reply, StepHandler

DATA_FILE = Path(__file__).resolve().parents[2] / "data" / "kichwa.toml"


@cache
def greet_back() -> dict[str, str]:
    """What the bot answers to each Kichwa greeting (and `default`)."""
    with DATA_FILE.open("rb") as handle:
        table = tomllib.load(handle)["greet_back"]
    return {str(k): str(v) for k, v in table.items()}


def answer_greeting(text: str) -> str:
    """The Kichwa greeting that answers the one in `text`."""
    answers = greet_back()
    greeting = split_greeting(text)
    words = greeting.words if greeting is not None else ""
    for said, answer in answers.items():
        if said != "default" and words.startswith(said):
            return answer
    return answers["default"]


class KichwaFlow:
    """Greets back in Kichwa and offers the Spanish options."""

    name = "kichwa"
    in_menu = False
    commands: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    state_type = NoState

    def title(self, ctx: FlowContext) -> str:
        """Label (not in the menu)."""
        return ctx.t("Saludo en kichwa")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """«¡Alli puncha!», then the menu in Spanish."""
        # TRANSLATORS: {greeting} is a Kichwa greeting (bot/data/kichwa.toml), kept as it is. A
        # full Kichwa catalog needs review by a Kichwa speaker before use; until then the bot
        # only greets back in Kichwa and goes on in Spanish (or English).
        text = ctx.t(
            "¡{greeting}! Gracias por saludar en kichwa. Por ahora le atiendo en español. "
            "Elija una opción o escríbame su pregunta:",
            greeting=answer_greeting(opening.args),
        )
        return Outcome([Reply(text)])

    def steps(self) -> Mapping[str, StepHandler[NoState]]:
        """None: one message."""
        return {}
