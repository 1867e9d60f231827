"""/ayuda: what the bot can do and its commands."""

from __future__ import annotations

from collections.abc import Mapping

from bot.flows.base import FlowContext, NoState, Opening, Outcome, Reply, StepHandler


class HelpFlow:
    """Lists the commands."""

    name = "ayuda"
    in_menu = False
    commands = ("/ayuda", "/help")
    keywords = ("ayuda", "ayudame", "no entiendo", "como funciona")
    state_type = NoState

    def title(self, ctx: FlowContext) -> str:
        """Label."""
        return ctx.t("Ayuda")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Shows the commands and the call centre."""
        lines = [
            ctx.t("Puede escribirme con sus palabras o usar estos comandos:"),
            ctx.t("/menu – ver las opciones"),
            ctx.t("/califico – saber si califica para un bono o pensión"),
            ctx.t("/pago – por qué no le llegó el pago"),
            ctx.t("/oficina – dónde queda su oficina"),
            ctx.t("/eventos – eventos en su parroquia y recordatorios"),
            ctx.t("/privacidad – cómo usamos sus datos"),
            ctx.t("/mis_datos – qué guardamos sobre usted"),
            ctx.t("/borrar_mis_datos – borrar sus datos"),
            ctx.t("/cancelar – dejar lo que está haciendo"),
            ctx.t("Línea gratuita: {phone}", phone=ctx.settings.call_centre),
        ]
        return Outcome([Reply("\n".join(lines))])

    def steps(self) -> Mapping[str, StepHandler[NoState]]:
        """None: the flow answers in one message."""
        return {}
