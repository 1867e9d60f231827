"""«Gracias», «ok», «chao»: a short, friendly answer and what the citizen can do next."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.greetings import is_goodbye
from bot.flows.base import FlowContext, NoState, Opening, Outcome, Reply, StepHandler


class SmallTalkFlow:
    """Answers thanks, acknowledgements and goodbyes in one line; the menu follows."""

    name = "cortesia"
    in_menu = False
    commands: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    state_type = NoState

    def title(self, ctx: FlowContext) -> str:
        """Label (not in the menu)."""
        return ctx.t("Gracias")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Thanks or goodbye, by the citizen's words; the engine attaches the menu's options."""
        if is_goodbye(opening.args):
            text = ctx.t("¡Hasta pronto! Cuando necesite, escríbame o elija una de estas opciones:")
        else:
            text = ctx.t(
                "¡Con gusto! Si necesita algo más, elija una opción o escríbame con sus palabras:"
            )
        return Outcome([Reply(text)])

    def steps(self) -> Mapping[str, StepHandler[NoState]]:
        """None: one message."""
        return {}
