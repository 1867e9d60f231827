"""«/familias» and «/informado»: a technician's families, and telling one in person.

A técnico de acompañamiento familiar sees the families of the parishes assigned to them (others
of their district are refused), with each family's pending conditions and next home visit;
district staff choose a parish of their territory. «/informado» records that a family was told
in person (an event, a commitment, a condition, the visit): delivery figures count it beside SMS
and Telegram. The printable field list is `python -m bot acompanamiento lista`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.domain.errors import N_, DomainError
from bot.domain.identity import parse_cedula
from bot.domain.staff import Role
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
from bot.flows.parish_choice import ASKING_PARISH, parish_question, parish_step
from bot.flows.staff.access import current_scope, require_role
from bot.services import technicians
from bot.services.authz import Action
from bot.services.technicians import FamilyRow
from bot.services.territory import Place

MAX_LISTED = 25
TOPIC_LABELS = {
    "evento": N_("Un evento del Ministerio"),
    "compromiso": N_("Un compromiso en la parroquia"),
    "condicion": N_("Una condición pendiente"),
    "visita": N_("La próxima visita"),
    "general": N_("Información general"),
}


def _family_line(ctx: FlowContext, row: FamilyRow, zone: ZoneInfo) -> str:
    parts = []
    for c in row.conditions:
        when = ctx.t("sin fecha") if c.due_on is None else ctx.tr.date(c.due_on, "short")
        parts.append(f"{ctx.t(c.label)} ({when})")
    line = f"• {row.names}: " + ("; ".join(parts) or ctx.t("sin condiciones pendientes"))
    if row.suspended:
        line += " · " + ctx.t("pago suspendido")
    if row.next_visit is not None:
        start = row.next_visit.window_start.astimezone(zone)
        end = row.next_visit.window_end.astimezone(zone)
        line += " · " + ctx.t(
            "visita {day} {start}-{end}",
            day=ctx.tr.date(start.date(), "short"),
            start=start.strftime("%H:%M"),
            end=end.strftime("%H:%M"),
        )
    return line


class StaffFamiliesFlow:
    """Lists the families to accompany in the technician's parishes (or a chosen parish)."""

    name = "staff_familias"
    in_menu = False
    commands = ("/familias",)
    keywords: tuple[str, ...] = ()
    state_type = NoState

    def title(self, ctx: FlowContext) -> str:
        """Label (not in the menu)."""
        return ctx.t("Familias de acompañamiento")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Technicians see their parishes at once; other staff are asked which parish."""
        scope = await require_role(ctx, Action.VIEW_FAMILIES)
        if scope.role is Role.TECHNICIAN:
            assigned = await technicians.assignments_of(ctx.session, scope.staff_id)
            if not assigned:
                return Outcome([Reply(ctx.t("Aún no tiene parroquias ni familias asignadas."))])
            return await self._show(ctx, sorted(assigned))
        intro = ctx.t("¿De qué parroquia quiere ver las familias?")
        return Outcome([parish_question(ctx, intro)], step=ASKING_PARISH)

    def steps(self) -> Mapping[str, StepHandler[NoState]]:
        """One step: the parish, for staff who are not technicians."""
        return {ASKING_PARISH: self._parish}

    async def _parish(self, ctx: FlowContext, state: NoState, answer: Answer) -> Outcome:
        async def chosen(place: Place) -> Outcome:
            return await self._show(ctx, [place.code])

        return await parish_step(ctx, state, answer, chosen)

    async def _show(self, ctx: FlowContext, parishes: list[str]) -> Outcome:
        scope = await current_scope(ctx)
        names = await technicians.parish_names(ctx.session, parishes)
        blocks = []
        for code in parishes:
            rows = await technicians.families(ctx.session, scope, code, now=ctx.now)
            place = ctx.services.territory.get(code)
            zone = ZoneInfo(place.timezone) if place else ctx.settings.timezone
            lines = [
                ctx.t(
                    "{parish}: {count} familias con pendientes o visitas",
                    parish=names.get(code, code),
                    count=len(rows),
                )
            ]
            lines.extend(_family_line(ctx, row, zone) for row in rows[:MAX_LISTED])
            if len(rows) > MAX_LISTED:
                lines.append(
                    ctx.t(
                        "… y {count} más: imprima la lista de campo.", count=len(rows) - MAX_LISTED
                    )
                )
            blocks.append("\n".join(lines))
        return Outcome([Reply("\n\n".join(blocks))])


@dataclass(frozen=True)
class InformedState:
    """The family's cédula, until the technician says what she told them."""

    cedula: str = ""


class StaffInformedFlow:
    """Records that the technician informed a family in person."""

    name = "staff_informado"
    in_menu = False
    commands = ("/informado",)
    keywords: tuple[str, ...] = ()
    state_type = InformedState

    def title(self, ctx: FlowContext) -> str:
        """Label (not in the menu)."""
        return ctx.t("Familia informada en persona")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Asks the cédula of the family's registry holder."""
        await require_role(ctx, Action.RECORD_IN_PERSON)
        text = ctx.t("¿A qué familia informó en persona? Escriba la cédula de la titular.")
        return Outcome([Reply(text)], step="asking_cedula")

    def steps(self) -> Mapping[str, StepHandler[InformedState]]:
        """The cédula, then what the family was told."""
        return {"asking_cedula": self._cedula, "choosing_topic": self._topic}

    async def _cedula(self, ctx: FlowContext, state: InformedState, answer: Answer) -> Outcome:
        cedula = parse_cedula(answer.text)
        options = tuple(Option(key, ctx.t(label)) for key, label in TOPIC_LABELS.items())
        return Outcome(
            [Reply(ctx.t("¿De qué le informó?"), options)],
            step="choosing_topic",
            state=InformedState(cedula.value),
        )

    async def _topic(self, ctx: FlowContext, state: InformedState, answer: Answer) -> Outcome:
        if answer.option not in TOPIC_LABELS:
            raise DomainError(N_("Elija una de las opciones, por favor."))
        scope = await current_scope(ctx)
        await technicians.record_informed(
            ctx.session, scope, cedula=state.cedula, topic=answer.option, now=ctx.now
        )
        return Outcome([Reply(ctx.t("Registrado: familia informada en persona."))])
