"""«¿Dónde queda mi oficina?»: parish or canton name → district directorate and how to reach it."""

from __future__ import annotations

from typing import Any

from bot.flows.base import Answer, FlowContext, Option, Outcome, Reply
from bot.services.territory import Place


class OfficeFlow:
    """Finds the district office for a parish or canton typed by the citizen."""

    name = "oficina"
    in_menu = True
    commands = ("/oficina",)
    keywords = (
        "oficina",
        "donde queda",
        "distrito",
        "direccion distrital",
        "balcon de servicios",
        "donde atienden",
        "direccion del mies",
    )

    def title(self, ctx: FlowContext) -> str:
        """Menu label."""
        return ctx.t("¿Dónde queda mi oficina?")

    async def start(self, ctx: FlowContext, data: dict[str, Any]) -> Outcome:
        """Asks for the parish or canton, or answers at once for «/oficina Tacamoros»."""
        args = str(data.get("args") or "")
        if args:
            return await self.step(ctx, "asking_place", {}, Answer(args))
        return Outcome(
            [Reply(ctx.t("Escriba el nombre de su parroquia o cantón (por ejemplo: Tacamoros)."))],
            step="asking_place",
        )

    async def step(
        self, ctx: FlowContext, step: str, data: dict[str, Any], answer: Answer
    ) -> Outcome:
        """Resolves the place (with suggestions on typos) and shows its office."""
        territory = ctx.services.territory
        if answer.option and answer.option.startswith("place:"):
            place = territory.get(answer.option.removeprefix("place:"))
            if place is not None:
                return Outcome([self._office_reply(ctx, place)])
        match = territory.find(answer.text)
        if len(match.places) == 1:
            return Outcome([self._office_reply(ctx, match.places[0])])
        candidates = match.places or match.suggestions
        if not candidates:
            return Outcome(
                [
                    Reply(
                        ctx.t(
                            "No encontré ninguna parroquia ni cantón con ese nombre. "
                            "Revise cómo se escribe e intente otra vez."
                        )
                    )
                ],
                step="asking_place",
            )
        text = (
            ctx.t("Hay varios lugares con ese nombre. ¿Cuál es el suyo?")
            if match.places
            else ctx.t("No encontré ese nombre exacto. ¿Quiso decir alguno de estos?")
        )
        options = tuple(Option(f"place:{p.code}", p.label) for p in candidates)
        return Outcome([Reply(text, options)], step="asking_place")

    def _office_reply(self, ctx: FlowContext, place: Place) -> Reply:
        territory = ctx.services.territory
        office = territory.office_for(place)
        phone = ctx.settings.call_centre
        if office is None:
            nearby = territory.offices_in_province(place.province_code)
            lines = [
                ctx.t(
                    "Aún no tenemos registrada la dirección distrital que atiende a {place}.",
                    place=place.label,
                )
            ]
            if nearby:
                lines.append(ctx.t("Direcciones distritales de su provincia:"))
                lines.extend(f"• {o.code} {o.name}" for o in nearby)
            lines.append(
                ctx.t("Llame gratis al {phone} para que le indiquen su oficina.", phone=phone)
            )
            return Reply("\n".join(lines))
        lines = [
            ctx.t(
                "{place} es atendida por la Dirección Distrital {code} – {name} ({zone}).",
                place=place.label,
                code=office.code,
                name=office.name,
                zone=office.zone_name,
            ),
            ctx.t("Allí está el Balcón de Servicios, donde le atienden en persona."),
        ]
        if office.address:
            lines.append(ctx.t("Dirección: {address}", address=office.address))
        if office.hours:
            lines.append(ctx.t("Horario: {hours}", hours=office.hours))
        if office.phone:
            lines.append(ctx.t("Teléfono: {phone}", phone=office.phone))
        lines.append(ctx.t("Línea gratuita: {phone}", phone=phone))
        return Reply("\n".join(lines))
