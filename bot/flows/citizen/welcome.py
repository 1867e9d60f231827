"""/start: welcome and privacy notice, then the menu; /idioma switches the language.

Consent is asked where personal data is about to be stored, for that purpose (a reminder
subscription with a phone, a verification case): the welcome informs, it does not trap the
citizen in a consent screen before they can ask anything (bot/services/event_reminders.py
records it with the subscription).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.errors import N_, DomainError
from bot.flows.base import (
    Answer,
    FlowContext,
    NoState,
    Opening,
    Option,
    Outcome,
    Reply,
    StepHandler,
)
from bot.flows.citizen.privacy import privacy_brief, privacy_notice
from bot.i18n import Translator


class WelcomeFlow:
    """Greets with the privacy notice (first time) and opens the menu."""

    name = "bienvenida"
    in_menu = False
    commands = ("/start", "/inicio")
    keywords: tuple[str, ...] = ()
    state_type = NoState

    def title(self, ctx: FlowContext) -> str:
        """Label (not in the menu)."""
        return ctx.t("Bienvenida")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Greets; the notice is shown until the contact has given consent once."""
        hello = ctx.t(
            "¡Hola! Soy el asistente de {ministry}. Le informo sobre bonos y pensiones, su "
            "pago, su oficina y los eventos de su parroquia. Mis respuestas son orientación; "
            "la decisión oficial es del Ministerio. For English: /idioma",
            ministry=ctx.settings.ministry_name,
        )
        brief = ctx.t(
            "Hola, soy el asistente de {ministry}: bonos, pagos, oficinas y eventos. Es "
            "orientación; la decisión oficial es del Ministerio.",
            ministry=ctx.settings.ministry_name,
        )
        replies = [Reply(hello, brief=brief)]
        if ctx.contact.consent_at is None:
            replies.append(Reply(privacy_notice(ctx), brief=privacy_brief(ctx)))
        return Outcome(replies, switch_to="menu")

    def steps(self) -> Mapping[str, StepHandler[NoState]]:
        """None: the flow answers in one message."""
        return {}


class LanguageFlow:
    """Lets the citizen choose Spanish or English."""

    name = "idioma"
    in_menu = False
    commands = ("/idioma", "/language")
    keywords = ("idioma", "english", "ingles")
    state_type = NoState

    def title(self, ctx: FlowContext) -> str:
        """Label."""
        return ctx.t("Idioma")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Offers the languages."""
        options = (Option("es_EC", "Español"), Option("en", "English"))
        return Outcome([Reply(ctx.t("Elija su idioma:"), options)], step="choosing_language")

    def steps(self) -> Mapping[str, StepHandler[NoState]]:
        """One step: choosing the language."""
        return {"choosing_language": self._choosing_language}

    async def _choosing_language(self, ctx: FlowContext, state: NoState, answer: Answer) -> Outcome:
        """Saves the language and answers in it."""
        if answer.option not in ("es_EC", "en"):
            raise DomainError(N_("Elija una de las opciones, por favor."))
        ctx.contact.locale = answer.option
        ctx.tr = Translator(answer.option)
        return Outcome([Reply(ctx.t("Listo, le escribiré en español."))], switch_to="menu")
