"""«¿Dónde queda mi oficina?»: parish or canton name → district directorate and how to reach it.

Homonyms («Baños», «Santa Rosa») are asked back with canton and province; a place no source
maps to an office gets its zonal coordination and the call centre, never a guessed office.
"""

from __future__ import annotations

from collections.abc import Mapping

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
from bot.flows.understanding import ways_out
from bot.services.territory import Match, Office, OfficeAnswer, Place


class OfficeFlow:
    """Finds the district office for a parish or canton typed by the citizen."""

    name = "oficina"
    in_menu = True
    commands = ("/oficina",)
    state_type = NoState
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

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Asks for the parish or canton, or answers at once for «/oficina Tacamoros»."""
        if opening.args:
            return await self._asking_place(ctx, NoState(), Answer(opening.args))
        return Outcome(
            [Reply(ctx.t("Escriba el nombre de su parroquia o cantón (por ejemplo: Tacamoros)."))],
            step="asking_place",
        )

    def steps(self) -> Mapping[str, StepHandler[NoState]]:
        """One step: asking the place."""
        return {"asking_place": self._asking_place}

    async def _asking_place(self, ctx: FlowContext, state: NoState, answer: Answer) -> Outcome:
        """Resolves the place (asking back on homonyms and typos) and shows who serves it."""
        territory = ctx.services.territory
        if answer.option and answer.option.startswith("place:"):
            place = territory.get(answer.option.removeprefix("place:"))
            if place is not None:
                return Outcome([self._office_reply(ctx, place)])
        match = territory.find(answer.text)
        if len(match.places) == 1:
            return Outcome([self._office_reply(ctx, match.places[0])])
        return Outcome([self._ask_back(ctx, match)], step="asking_place")

    def _ask_back(self, ctx: FlowContext, match: Match) -> Reply:
        """Several places share the name, or none matched: the citizen chooses or retypes."""
        candidates = match.places or match.suggestions
        if not candidates:
            return Reply(
                ctx.t(
                    "No encontré ninguna parroquia ni cantón con ese nombre. "
                    "Revise cómo se escribe e intente otra vez."
                ),
                ways_out(ctx),
            )
        if match.places:
            lines = [ctx.t("Hay varios lugares con ese nombre. ¿Cuál es el suyo?")]
            if match.more:
                lines.append(
                    ctx.t(
                        "Si no está en la lista, escriba el nombre y su cantón. "
                        "Por ejemplo: San José, Chambo"
                    )
                )
            text = "\n".join(lines)
        else:
            text = ctx.t("No encontré ese nombre exacto. ¿Quiso decir alguno de estos?")
        options = tuple(Option(f"place:{p.code}", p.label) for p in candidates)
        return Reply(text, options)

    def _office_reply(self, ctx: FlowContext, place: Place) -> Reply:
        """The office that serves the place, or an honest «we do not know yet»."""
        known = ctx.services.territory.answer_for(place)
        if known.office is None:
            return Reply("\n".join(self._unknown_lines(ctx, known)))
        return Reply("\n".join(self._office_lines(ctx, known, known.office)))

    def _office_lines(self, ctx: FlowContext, known: OfficeAnswer, office: Office) -> list[str]:
        lines = [
            ctx.t("Su lugar: {place}.", place=known.place.label),
            ctx.t(
                "Le atiende la Dirección Distrital {code} – {name}.",
                code=office.code,
                name=office.name,
            ),
            ctx.t("Allí está el Balcón de Servicios. Allí le atienden en persona."),
        ]
        if known.confidence in ("D", "U"):
            lines.append(
                ctx.t(
                    "Este dato aún no está confirmado. Antes de viajar, llame a la línea gratuita."
                )
            )
        if office.address:
            lines.append(ctx.t("Dirección: {address}", address=office.address))
        else:
            lines.append(ctx.t("Aún no tenemos la dirección. Pídala en la línea gratuita."))
        if office.hours:
            lines.append(ctx.t("Horario: {hours}", hours=office.hours))
        if office.phone:
            lines.append(ctx.t("Teléfono: {phone}", phone=office.phone))
        if office.services:
            lines.append(ctx.t("Trámites: {services}", services=office.services))
        lines.append(ctx.t("Línea gratuita: {phone}", phone=ctx.settings.call_centre))
        return lines

    def _unknown_lines(self, ctx: FlowContext, known: OfficeAnswer) -> list[str]:
        lines = [
            ctx.t("Su lugar: {place}.", place=known.place.label),
            ctx.t("Todavía no sabemos qué oficina atiende a su lugar."),
        ]
        if known.city_offices:
            lines.append(ctx.t("En su cantón hay estas oficinas:"))
            lines.extend(f"• {o.code} {o.name}" for o in known.city_offices)
        if known.zone is not None:
            lines.append(ctx.t("Su coordinación zonal es: {zone}.", zone=known.zone.name))
        lines.append(
            ctx.t(
                "Llame gratis al {phone}. Allí le dicen a qué oficina ir.",
                phone=ctx.settings.call_centre,
            )
        )
        return lines
