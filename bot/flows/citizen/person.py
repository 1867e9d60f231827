"""«Quiero hablar con una persona»: the conversation goes to the staff inbox of the district.

The citizen is told who will answer (their district, or the national team when the parish is not
known), when (the inbox's hours; outside them, from when), and that they can keep writing here or
call the free line. From then on the conversation is held (`HELD`): the engine gives every
message to the inbox and the bot stays quiet until the staff member ends it or the citizen writes
«menú». The same flow is opened with a reason by the fraud report («fraude») and by the menu
after three messages it did not understand («no_entendido»).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from babel.dates import format_datetime

from bot.domain.text import fold
from bot.flows.base import Answer, FlowContext, Opening, Outcome, Reply, StepHandler
from bot.flows.handoff_chat import handoff_replies
from bot.services import handoff
from bot.storage.conversation_retention import HELD

URGENT_WORDS = ("urgente", "urgencia", "emergencia")


@dataclass(frozen=True)
class PersonState:
    """Nothing but the fact that it is held: the conversation itself is in the inbox."""

    reason: str = "persona"


class PersonFlow:
    """Hands the conversation to a person of the district's team."""

    name = "persona"
    in_menu = False
    commands = ("/persona",)
    # Used only when no intent model is built (the model reads `corpus/persona.txt`).
    keywords = ("hablar con una persona", "hablar con alguien", "una persona real", "urgente")
    state_type = PersonState

    def title(self, ctx: FlowContext) -> str:
        """Label, also offered when the bot is unsure of a message."""
        return ctx.t("Hablar con una persona")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Puts the conversation in the inbox and tells the citizen what happens next."""
        reason = opening.args if opening.args in handoff.REASONS else "persona"
        if reason == "persona" and any(w in fold(ctx.text) for w in URGENT_WORDS):
            reason = "urgente"
        hours = handoff.answer_hours(ctx.settings.handoff_hours)
        opened = await handoff.request_person(
            ctx.session,
            ctx.contact,
            reason=reason,
            text=ctx.text,
            now=ctx.now,
            hours=hours,
            tz=ctx.settings.timezone,
        )
        who = (
            ctx.t("Le paso con una persona del equipo de su dirección distrital.")
            if opened.handoff.district_code
            else ctx.t("Le paso con una persona del equipo nacional del ministerio.")
        )
        lines = [who]
        if opened.open_now:
            lines.append(
                ctx.t(
                    "Le responderá por este chat en cuanto pueda. Atendemos {hours}.",
                    hours=ctx.settings.handoff_hours,
                )
            )
        else:
            when = format_datetime(
                opened.next_opening, "EEEE d 'de' MMMM, HH:mm", locale=ctx.tr.locale
            )
            lines.append(
                ctx.t(
                    "Ahora no hay nadie atendiendo. Le responderán por este chat desde el {when} "
                    "(atendemos {hours}).",
                    when=when,
                    hours=ctx.settings.handoff_hours,
                )
            )
        lines.append(
            ctx.t(
                "Puede seguir escribiendo aquí. Si prefiere, llame gratis al {phone}.",
                phone=ctx.settings.call_centre,
            )
        )
        lines.extend(_office_lines(ctx))
        lines.append(ctx.t("Para volver al asistente automático escriba «menú»."))
        return Outcome([Reply("\n".join(lines))], step=HELD, state=PersonState(reason))

    def steps(self) -> Mapping[str, StepHandler[PersonState]]:
        """One step: held by a person (the engine routes held chats before any flow)."""
        return {HELD: self._held}

    async def _held(self, ctx: FlowContext, state: PersonState, answer: Answer) -> Outcome:
        replies = await handoff_replies(ctx, answer.text)
        if replies is None:
            return Outcome([], switch_to="menu")
        return Outcome(replies, step=HELD, state=state)


def _office_lines(ctx: FlowContext) -> list[str]:
    """The district office of the contact's parish, to go in person (when it is known)."""
    territory = ctx.services.territory
    place = territory.get(ctx.contact.parish_code or "")
    office = None if place is None else territory.office_for(place)
    if office is None:
        return []
    lines = [
        ctx.t(
            "O vaya a la Dirección Distrital {code} – {name} (Balcón de Servicios).",
            code=office.code,
            name=office.name,
        )
    ]
    if office.address:
        lines.append(ctx.t("  Dirección: {address}", address=office.address))
    if office.hours:
        lines.append(ctx.t("  Horario: {hours}", hours=office.hours))
    if office.phone:
        lines.append(ctx.t("  Teléfono: {phone}", phone=office.phone))
    return lines
