"""The main menu: lists the citizen flows and routes free text to the right one.

Free text is understood by `bot.flows.understanding` (the intent model, a greeting in front
split off). When the recogniser is unsure, the citizen gets its two best guesses, a person and
the whole menu as options, never a bare «No entendí».
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.domain.errors import N_
from bot.flows.base import (
    Answer,
    Flow,
    FlowContext,
    Opening,
    Option,
    Outcome,
    Reply,
    StepHandler,
)
from bot.flows.understanding import INTENT_FLOWS, READS_WORDS, understand

PERSON = "persona"
MENU = "menu"

# One or two words per entry, for SMS («1 Mi pago 2 Califico …»): three segments must hold the
# answer and the options.
SHORT_TITLES = {
    "pago": N_("Mi pago"),
    "califico": N_("Califico"),
    "oficina": N_("Mi oficina"),
    "eventos": N_("Eventos"),
    "dialogo": N_("Diálogo Ciudadano"),
    "excluido": N_("Alguien sin bono"),
    "compromisos": N_("Compromisos"),
    "cumplir": N_("Qué me falta"),
}


# Messages in a row the bot did not understand before it hands the chat to a person.
HANDOFF_AFTER = 3


@dataclass(frozen=True)
class MenuState:
    """How many messages in a row the menu did not understand."""

    misunderstood: int = 0


class MenuFlow:
    """Shows the options and starts the chosen flow; free text goes through the recogniser."""

    name = MENU
    in_menu = False
    commands = ("/menu",)
    keywords: tuple[str, ...] = ()
    state_type = MenuState

    def __init__(self, flows: Callable[[], Sequence[Flow]]) -> None:
        self._flows = flows

    def title(self, ctx: FlowContext) -> str:
        """The menu's own label."""
        return ctx.t("Menú principal")

    def _entries(self) -> list[Flow]:
        return [f for f in self._flows() if f.in_menu]

    def _menu(self, ctx: FlowContext, text: str) -> Outcome:
        options = tuple(
            Option(
                f.name,
                f.title(ctx),
                ctx.t(SHORT_TITLES[f.name]) if f.name in SHORT_TITLES else None,
            )
            for f in self._entries()
        )
        return Outcome([Reply(text, options)], step="choosing")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Shows the menu."""
        if opening.after_flow:
            return self._menu(ctx, ctx.t("¿Le ayudo con algo más?"))
        return self._menu(ctx, ctx.t("¿En qué le puedo ayudar? Elija una opción:"))

    def steps(self) -> Mapping[str, StepHandler[MenuState]]:
        """One step: choosing."""
        return {"choosing": self._choosing}

    async def _choosing(self, ctx: FlowContext, state: MenuState, answer: Answer) -> Outcome:
        """Starts the chosen flow, or understands the free text."""
        flows = {f.name: f for f in self._flows()}
        if answer.option == MENU:
            return self._menu(ctx, ctx.t("Estas son todas las opciones:"))
        if answer.option in flows:
            return Outcome([], switch_to=answer.option)
        understood = understand(answer.text, self._flows())
        if understood.flow == MENU:
            return self._menu(ctx, ctx.t("Estas son todas las opciones:"))
        if understood.flow is not None:
            replies = []
            if understood.intent == "monto_bajo":
                replies.append(
                    Reply(
                        ctx.t(
                            "Si el valor de su bono bajó, la causa suele estar en su registro "
                            "(por ejemplo, un hijo que cumplió 18 años o un cambio en el "
                            "Registro Social). Revisemos el estado de su pago."
                        )
                    )
                )
            words = understood.question if understood.flow in READS_WORDS else ""
            return Outcome(replies, switch_to=understood.flow, switch_args=words)
        misunderstood = state.misunderstood + 1
        if misunderstood >= HANDOFF_AFTER and PERSON in flows:
            note = Reply(
                ctx.t("Disculpe, no logro entenderle. Le paso con una persona para que le ayude.")
            )
            return Outcome([note], switch_to=PERSON, switch_args="no_entendido")
        options = [
            Option(name, flows[name].title(ctx))
            for name in (INTENT_FLOWS[g.intent] for g in understood.guesses)
            if name in flows and name not in (PERSON, MENU)
        ]
        if PERSON in flows:
            options.append(Option(PERSON, flows[PERSON].title(ctx)))
        options.append(Option(MENU, ctx.t("Ver todas las opciones")))
        if len(options) > 2:
            text = ctx.t("No estoy seguro de haberle entendido. ¿Quiso decir alguna de estas?")
        else:
            text = ctx.t(
                "No estoy seguro de haberle entendido. Puede hablar con una persona, ver todas "
                "las opciones o escribirme su pregunta con otras palabras."
            )
        return Outcome(
            [Reply(text, tuple(options))], step="choosing", state=MenuState(misunderstood)
        )
