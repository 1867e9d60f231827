"""/mis_datos and /borrar_mis_datos: see and erase what the bot keeps about me."""

from __future__ import annotations

from typing import Any

from bot.domain.errors import N_, DomainError
from bot.flows.base import Answer, FlowContext, Option, Outcome, Reply
from bot.services.my_data import contact_data, erase_contact_data


class MyDataFlow:
    """Lists the personal data linked to this chat."""

    name = "mis_datos"
    in_menu = False
    commands = ("/mis_datos",)
    keywords = ("mis datos", "que datos tienen", "que saben de mi")

    def title(self, ctx: FlowContext) -> str:
        """Label."""
        return ctx.t("Mis datos")

    async def start(self, ctx: FlowContext, data: dict[str, Any]) -> Outcome:
        """Shows the stored data."""
        kept = await contact_data(ctx.session, ctx.contact)
        none = ctx.t("ninguno")
        lines = [
            ctx.t("Esto es lo que guardamos sobre este chat:"),
            ctx.t("Canal: {channel}; idioma: {locale}.", channel=kept.channel, locale=kept.locale),
            ctx.t("Primer contacto: {date}.", date=ctx.tr.date(kept.created_at.date(), "long")),
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
        lines.append(ctx.t("Casos abiertos: {value}.", value=", ".join(kept.case_numbers) or none))
        lines.append(ctx.t("No guardamos su cédula salvo en los casos que usted pidió abrir."))
        lines.append(ctx.t("Para borrar estos datos escriba /borrar_mis_datos."))
        return Outcome([Reply("\n".join(lines))])

    async def step(
        self, ctx: FlowContext, step: str, data: dict[str, Any], answer: Answer
    ) -> Outcome:
        """No steps: shows the data again."""
        return await self.start(ctx, data)


class DeleteMyDataFlow:
    """Asks for confirmation, then erases the personal data of this chat."""

    name = "borrar_mis_datos"
    in_menu = False
    commands = ("/borrar_mis_datos",)
    keywords = ("borrar mis datos", "eliminar mis datos")

    def title(self, ctx: FlowContext) -> str:
        """Label."""
        return ctx.t("Borrar mis datos")

    async def start(self, ctx: FlowContext, data: dict[str, Any]) -> Outcome:
        """Asks for confirmation."""
        text = ctx.t(
            "Se borrarán su celular, su parroquia, su consentimiento y sus suscripciones a "
            "recordatorios. ¿Confirma?"
        )
        options = (Option("si", ctx.t("Sí, borrar")), Option("no", ctx.t("No")))
        return Outcome([Reply(text, options)], step="confirming")

    async def step(
        self, ctx: FlowContext, step: str, data: dict[str, Any], answer: Answer
    ) -> Outcome:
        """Erases on «Sí», keeps everything on «No»."""
        if answer.option == "si":
            removed = await erase_contact_data(ctx.session, ctx.contact, ctx.now)
            text = ctx.t(
                "Listo: borramos sus datos y {n} suscripciones. Ya no recibirá recordatorios.",
                n=removed,
            )
            return Outcome([Reply(text)])
        if answer.option == "no":
            return Outcome([Reply(ctx.t("No borramos nada."))])
        raise DomainError(N_("Responda «Sí, borrar» o «No», por favor."))
