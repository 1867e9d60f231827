"""/mis_datos and /borrar_mis_datos: see and erase what the bot keeps about me."""

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
from bot.services.my_data import contact_data, erase_contact_data

EXCERPT_CHARS = 60


def _excerpt(text: str) -> str:
    """The start of a long answer, so /mis_datos stays one readable message."""
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


class MyDataFlow:
    """Lists the personal data linked to this chat."""

    name = "mis_datos"
    in_menu = False
    commands = ("/mis_datos",)
    keywords = ("mis datos", "que datos tienen", "que saben de mi")
    state_type = NoState

    def title(self, ctx: FlowContext) -> str:
        """Label."""
        return ctx.t("Mis datos")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Shows the stored data, one line per kind of `personal_data.KINDS`."""
        kept = await contact_data(ctx.session, ctx.contact)
        none = ctx.t("ninguno")
        lines = [
            ctx.t("Esto es lo que guardamos sobre este chat:"),
            ctx.t("Canal: {channel}; idioma: {locale}.", channel=kept.channel, locale=kept.locale),
            ctx.t(
                "Primer mensaje: {first}; último: {last}.",
                first=ctx.tr.date(kept.created_at.date(), "long"),
                last=ctx.tr.date(kept.last_seen_at.date(), "long"),
            ),
            ctx.t(
                "Consentimiento: {value}.",
                value=ctx.tr.date(kept.consent_at.date(), "long") if kept.consent_at else none,
            ),
            ctx.t("Celular: {value}.", value=kept.phone_masked or none),
        ]
        place = ctx.services.territory.get(kept.parish_code) if kept.parish_code else None
        lines.append(ctx.t("Parroquia: {value}.", value=place.label if place else none))
        subs = [
            f"{(p.label if (p := ctx.services.territory.get(code)) else code)} ({channel})"
            for code, channel, _topic in kept.subscriptions
        ]
        lines.append(ctx.t("Suscripciones: {value}.", value=", ".join(subs) or none))
        cases = [
            ctx.t("{number} (cédula {cedula})", number=c.number, cedula=c.cedula_masked)
            if c.cedula_masked
            else c.number
            for c in kept.cases
        ]
        lines.append(ctx.t("Casos abiertos: {value}.", value=", ".join(cases) or none))
        answers = [f"«{_excerpt(text)}»" for text in kept.dialogue_answers]
        lines.append(
            ctx.t("Respuestas al Diálogo Ciudadano: {value}.", value="; ".join(answers) or none)
        )
        lines.append(
            ctx.t(
                "Conversaciones con una persona del equipo: {count}.",
                count=kept.person_conversations,
            )
        )
        lines.append(
            ctx.t(
                "Mensajes: {queued} en cola y {logged} ya enviados o retirados.",
                queued=kept.messages_queued,
                logged=kept.messages_logged,
            )
        )
        if kept.opted_out:
            lines.append(ctx.t("Su celular está en la lista de no envío (BAJA)."))
        lines.append(
            ctx.t(
                "Durante una consulta guardamos lo que escribe en ella, hasta que termine o "
                "caduque. Por seguridad guardamos, con seudónimo, los intentos fallidos de "
                "verificación y el registro de auditoría de sus consultas."
            )
        )
        lines.append(ctx.t("No guardamos su cédula salvo en los casos que usted pidió abrir."))
        lines.append(
            ctx.t(
                "Para borrar estos datos escriba /borrar_mis_datos; lo que queda después, en "
                "/privacidad."
            )
        )
        return Outcome([Reply("\n".join(lines))])

    def steps(self) -> Mapping[str, StepHandler[NoState]]:
        """None: the flow answers in one message."""
        return {}


class DeleteMyDataFlow:
    """Asks for confirmation, then erases the personal data of this chat."""

    name = "borrar_mis_datos"
    in_menu = False
    commands = ("/borrar_mis_datos",)
    keywords = ("borrar mis datos", "eliminar mis datos")
    state_type = NoState

    def title(self, ctx: FlowContext) -> str:
        """Label."""
        return ctx.t("Borrar mis datos")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Asks for confirmation."""
        text = ctx.t(
            "Se retirarán los mensajes en cola para usted y se borrarán su celular, su "
            "parroquia, su consentimiento, sus suscripciones a recordatorios y sus respuestas "
            "al Diálogo Ciudadano. Sus casos seguirán para que la dirección distrital atienda a "
            "la persona, pero sin su cédula, sin datos de contacto y sin vínculo con este chat. "
            "¿Confirma?"
        )
        options = (Option("si", ctx.t("Sí, borrar")), Option("no", ctx.t("No")))
        return Outcome([Reply(text, options)], step="confirming")

    def steps(self) -> Mapping[str, StepHandler[NoState]]:
        """One step: confirming."""
        return {"confirming": self._confirming}

    async def _confirming(self, ctx: FlowContext, state: NoState, answer: Answer) -> Outcome:
        """Erases on «Sí», keeps everything on «No»."""
        if answer.option == "si":
            erased = await erase_contact_data(ctx.session, ctx.contact, ctx.now)
            lines = [
                ctx.t(
                    "Listo: borramos sus datos y {n} suscripciones, y retiramos {m} mensajes "
                    "en cola. Ya no le enviaremos recordatorios.",
                    n=erased.subscriptions,
                    m=erased.messages_withdrawn,
                )
            ]
            if erased.phones:
                lines.append(
                    ctx.t(
                        "Si su celular está en el registro de beneficiarios del Ministerio, "
                        "puede recibir por SMS los avisos de su parroquia; para no recibir "
                        "ninguno, responda BAJA a uno."
                    )
                )
            return Outcome([Reply("\n".join(lines))])
        if answer.option == "no":
            return Outcome([Reply(ctx.t("No borramos nada."))])
        raise DomainError(N_("Responda «Sí, borrar» o «No», por favor."))
