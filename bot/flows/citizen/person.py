"""«Quiero hablar con una persona»: who to call or visit, until staff can answer in this chat.

The staff inbox (a person answering in the chat) is not built yet; meanwhile the citizen gets the
free call centre and their district office with its address, hours and phone from the office
directory, or is asked for the parish to find that office.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.flows.base import FlowContext, NoState, Opening, Outcome, Reply, StepHandler


class PersonFlow:
    """Points to the call centre and the district office."""

    name = "persona"
    in_menu = False
    commands = ("/persona",)
    keywords: tuple[str, ...] = ()
    state_type = NoState

    def title(self, ctx: FlowContext) -> str:
        """Label, also offered when the bot is unsure of a message."""
        return ctx.t("Hablar con una persona")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """The call centre, and the office of the contact's parish (or the office question)."""
        lines = [
            ctx.t("Por ahora no puedo pasarle con una persona en este chat. Puede hablar con una:"),
            ctx.t("• Llame gratis a la línea {phone}.", phone=ctx.settings.call_centre),
        ]
        territory = ctx.services.territory
        place = territory.get(ctx.contact.parish_code or "")
        office = None if place is None else territory.office_for(place)
        if office is None:
            lines.append(ctx.t("• O vaya a su oficina distrital (Balcón de Servicios)."))
            return Outcome([Reply("\n".join(lines))], switch_to="oficina")
        lines.append(
            ctx.t(
                "• O vaya a la Dirección Distrital {code} – {name} (Balcón de Servicios).",
                code=office.code,
                name=office.name,
            )
        )
        if office.address:
            lines.append(ctx.t("  Dirección: {address}", address=office.address))
        if office.hours:
            lines.append(ctx.t("  Horario: {hours}", hours=office.hours))
        else:
            lines.append(ctx.t("  Pregunte el horario en la línea gratuita."))
        if office.phone:
            lines.append(ctx.t("  Teléfono: {phone}", phone=office.phone))
        return Outcome([Reply("\n".join(lines))])

    def steps(self) -> Mapping[str, StepHandler[NoState]]:
        """None: one message."""
        return {}
