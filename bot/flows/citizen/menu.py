"""The main menu: lists the citizen flows and routes free text to the right one."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from bot.flows.base import (
    Answer,
    Flow,
    FlowContext,
    NoState,
    Opening,
    Option,
    Outcome,
    Reply,
    StepHandler,
)
from bot.flows.intents import match_intent


class MenuFlow:
    """Shows the options and starts the chosen flow; free text goes through intent matching."""

    name = "menu"
    in_menu = False
    commands = ("/menu",)
    keywords: tuple[str, ...] = ()
    state_type = NoState

    def __init__(self, flows: Callable[[], Sequence[Flow]]) -> None:
        self._flows = flows

    def title(self, ctx: FlowContext) -> str:
        """The menu's own label."""
        return ctx.t("Menú principal")

    def _entries(self) -> list[Flow]:
        return [f for f in self._flows() if f.in_menu]

    def _menu(self, ctx: FlowContext, text: str) -> Outcome:
        options = tuple(Option(f.name, f.title(ctx)) for f in self._entries())
        return Outcome([Reply(text, options)], step="choosing")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Shows the menu."""
        if opening.after_flow:
            return self._menu(ctx, ctx.t("¿Le ayudo con algo más?"))
        return self._menu(ctx, ctx.t("¿En qué le puedo ayudar? Elija una opción:"))

    def steps(self) -> Mapping[str, StepHandler[NoState]]:
        """One step: choosing."""
        return {"choosing": self._choosing}

    async def _choosing(self, ctx: FlowContext, state: NoState, answer: Answer) -> Outcome:
        """Starts the chosen flow, or guesses it from free text."""
        names = {f.name for f in self._entries()}
        if answer.option in names:
            return Outcome([], switch_to=answer.option)
        guess = match_intent(answer.text, self._flows())
        if guess is not None:
            return Outcome([], switch_to=guess)
        return self._menu(ctx, ctx.t("No entendí su mensaje. Elija una de estas opciones:"))
