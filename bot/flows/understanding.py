"""Free text to flow: what a citizen's own words ask for, and what to do when unsure.

The intent model (`bot.nlu`, trained from `bot/data/nlu/corpus/`) ranks what a message may mean.
A greeting in front («hola buenas tardes, no me llegó el bono») is split off first, so the
question is what is understood. When the model is sure (its best guess at or above the corpus'
threshold) the flow of that intent starts; when it is not, the citizen is offered its two best
guesses, a person and the menu, never a bare «No entendí». Without a model file (never built)
the flows' keywords are matched instead (`bot.flows.intents`), as before the model existed.

Keyword matching first was measured against the model on the held-out split (docs/benchmarks.md):
the keywords matched 208 of 575 phrasings and got 163 of those right, and putting them first
lowered accuracy from 96.9 % to 89.7 %, so the model alone decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.domain.errors import N_
from bot.domain.greetings import question_of, split_greeting
from bot.flows.base import Flow, FlowContext, Option
from bot.flows.intents import match_intent
from bot.nlu.model import Guess, shipped_model

# The flow that answers each intent of the corpus (most intents are named after their flow).
INTENT_FLOWS = {
    "pago": "pago",
    "monto_bajo": "pago",
    "califico": "califico",
    "oficina": "oficina",
    "eventos": "eventos",
    "dialogo": "dialogo",
    "excluido": "excluido",
    "compromisos": "compromisos",
    "mis_datos": "mis_datos",
    "borrar_mis_datos": "borrar_mis_datos",
    "privacidad": "privacidad",
    "ayuda": "ayuda",
    "idioma": "idioma",
    "menu": "menu",
    "programa_b1000": "programa_b1000",
    "programa_cc": "programa_cc",
    "programa_cdh": "programa_cdh",
    "programa_bof": "programa_bof",
    "persona": "persona",
    "fraude": "fraude",
    "caso": "mi_caso",
    "cortesia": "cortesia",
    "saludo": "bienvenida",
    "saludo_kichwa": "kichwa",
    "baja_mensajes": "baja_eventos",
    "cumplir": "cumplir",
}
# What an «it is another question» button says, per flow (flows' titles are for the menu).
OTHER_QUESTION_LABELS = {
    "pago": N_("Preguntar por mi pago"),
    "califico": N_("Saber si califico a un bono o pensión"),
    "oficina": N_("Saber dónde queda mi oficina"),
    "eventos": N_("Ver los eventos de mi parroquia"),
    "dialogo": N_("Dar una alerta o sugerencia"),
    "excluido": N_("Reportar a alguien que no recibe los servicios"),
    "compromisos": N_("Ver los compromisos del Ministerio"),
    "programa_b1000": N_("Saber del Bono 1000 Días"),
    "programa_cc": N_("Saber de la ayuda por desastre o fallecimiento"),
    "programa_cdh": N_("Saber del Crédito de Desarrollo Humano"),
    "programa_bof": N_("Saber del bono para huérfanos por femicidio"),
    "persona": N_("Hablar con una persona"),
    "fraude": N_("Denunciar un cobro por el bono"),
    "mi_caso": N_("Ver el estado de mi caso"),
    "privacidad": N_("Saber cómo usan mis datos"),
    "mis_datos": N_("Ver mis datos"),
    "cumplir": N_("Saber qué me falta cumplir para el bono"),
}
# Words a place name does not have: fewer than this many words is read as the place itself.
OTHER_QUESTION_MIN_WORDS = 3
# Flows that read the citizen's words when opened from free text («mi caso 123», «chao»); the
# others take `Opening.args` as a command's argument («/oficina Tacamoros») and get none.
READS_WORDS = frozenset({"mi_caso", "cortesia", "kichwa"})
_KEYWORD_INTENTS = {"bienvenida": "saludo", "baja_eventos": "baja_mensajes"}


@dataclass(frozen=True)
class Understanding:
    """What a message asks for.

    `intent` is set when the recogniser is sure (its flow is `flow`); otherwise `guesses` holds
    its best guesses (at most two, possibly none) to offer. `question` is the text understood
    (the message without a greeting in front); `greeted` tells that a greeting came first.
    """

    intent: str | None
    flow: str | None
    guesses: tuple[Guess, ...]
    question: str
    greeted: bool = False
    kichwa: bool = False


def understand(text: str, flows: Sequence[Flow]) -> Understanding:
    """Reads `text` as the citizen meant it, among the flows that exist."""
    greeting = split_greeting(text)
    if greeting is not None and greeting.rest and not any(c.isalpha() for c in greeting.rest):
        # «hola 2», «buenas!!»: what follows the greeting has no words, so it is a greeting.
        greeting = replace(greeting, rest="")
    question = greeting.rest if greeting is not None and greeting.rest else text
    greeted = greeting is not None and bool(greeting.rest)
    kichwa = greeting is not None and greeting.kichwa
    served = {flow.name for flow in flows}
    model = shipped_model()
    if model is None:
        name = match_intent(question, flows)
        intent = _KEYWORD_INTENTS.get(name, name) if name else None
        return Understanding(intent, name, (), question, greeted, kichwa)
    ranked = [g for g in model.rank(question) if INTENT_FLOWS.get(g.intent) in served]
    if kichwa and not greeted:
        # «alli puncha mashi»: a greeting in Kichwa, whatever else the model thinks.
        return Understanding("saludo_kichwa", "kichwa", (), question, False, True)
    if ranked and ranked[0].probability >= model.threshold:
        best = ranked[0].intent
        return Understanding(best, INTENT_FLOWS[best], (), question, greeted, kichwa)
    guesses: list[Guess] = []
    for guess in ranked:
        if INTENT_FLOWS[guess.intent] not in {INTENT_FLOWS[g.intent] for g in guesses}:
            guesses.append(guess)
        if len(guesses) == 2:
            break
    return Understanding(None, None, tuple(guesses), question, greeted, kichwa)


def other_question(ctx: FlowContext, text: str, current_flow: str) -> Option | None:
    """A «go:<flow>» option when `text`, typed where the flow expected a name (a parish), is
    clearly another question («mi hijo tiene discapacidad, hay bono?»); None otherwise.

    The citizen chooses: the option is offered beside the flow's own question, never taken.
    """
    question = question_of(text)
    model = shipped_model()
    if model is None or len(question.split()) < OTHER_QUESTION_MIN_WORDS:
        return None
    ranked = model.rank(question)
    if not ranked or ranked[0].probability < model.threshold:
        return None
    flow = INTENT_FLOWS.get(ranked[0].intent)
    if flow is None or flow == current_flow or flow not in OTHER_QUESTION_LABELS:
        return None
    return Option(f"go:{flow}", ctx.t(OTHER_QUESTION_LABELS[flow]))


def ways_out(ctx: FlowContext) -> tuple[Option, ...]:
    """A person and the menu, for a question the citizen may not be able to answer: retyping is
    one way on, these are the others (no dead end)."""
    return (
        Option("go:persona", ctx.t("Hablar con una persona")),
        Option("go:menu", ctx.t("Ver todas las opciones")),
    )
