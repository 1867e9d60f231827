"""«/compromisos»: the district's commitments and their follow-up status, with a note."""

from __future__ import annotations

from typing import Any

from bot.domain.dialogue import COMMITMENT_STATUS_LABELS, COMMITMENT_STATUSES
from bot.flows.base import Answer, FlowContext, Option, Outcome, Reply
from bot.flows.staff.access import current_scope, require_role
from bot.flows.staff.cases import can_update, short
from bot.flows.staff.district import ask_district, district_from_answer, own_district
from bot.flows.staff.status_note import ask_for_note, read_note
from bot.services.authz import Action
from bot.services.reports import deadline_text
from bot.services.staff_queries import district_commitments
from bot.services.staff_updates import commitment_for_update, update_commitment_status

MAX_BUTTONS = 8


class StaffCommitmentsFlow:
    """Lists a district's commitments; writers pick one, a new status and a note."""

    name = "staff_compromisos"
    in_menu = False
    commands = ("/compromisos",)
    keywords: tuple[str, ...] = ()

    def title(self, ctx: FlowContext) -> str:
        """Label (not in the menu)."""
        return ctx.t("Compromisos del distrito")

    async def start(self, ctx: FlowContext, data: dict[str, Any]) -> Outcome:
        """Analysts see their district at once; others are asked which district.

        A citizen who types the command gets the citizens' commitments flow instead.
        """
        if await current_scope(ctx) is None:
            return Outcome([], switch_to="compromisos")
        scope = await require_role(ctx, Action.VIEW_COMMITMENTS)
        district = own_district(scope)
        if district is None:
            return ask_district(ctx, {})
        return await self._list(ctx, district)

    async def step(
        self, ctx: FlowContext, step: str, data: dict[str, Any], answer: Answer
    ) -> Outcome:
        """Runs one step: district, commitment, new status, note."""
        if step == "choosing_commitment":
            value = (answer.option or answer.text).removeprefix("commitment:").lstrip("#").strip()
            if not (value.isascii() and value.isdigit() and len(value) <= 9):
                return Outcome(
                    [Reply(ctx.t("Elija un compromiso o escriba su número (p. ej. 12)."))],
                    step="choosing_commitment",
                )
            return await self._open(ctx, int(value))
        if step == "choosing_status":
            return self._choosing_status(ctx, data, answer)
        if step == "writing_note":
            return await self._writing_note(ctx, data, answer)
        return await self._list(ctx, district_from_answer(ctx, answer))

    async def _list(self, ctx: FlowContext, district: str) -> Outcome:
        scope = await current_scope(ctx)
        rows = await district_commitments(ctx.session, scope, district, now=ctx.now)
        if not rows:
            return Outcome(
                [
                    Reply(
                        ctx.t("El distrito {code} no tiene compromisos registrados.", code=district)
                    )
                ]
            )
        place = ctx.services.territory
        lines = [ctx.t("Compromisos del distrito {code}:", code=district)]
        for row in rows:
            parish = place.get(row.parish_code)
            lines.append(
                ctx.t(
                    "• #{id} · {parish} · {proposal} · {status} · plazo {deadline}",
                    id=row.id,
                    parish=parish.name if parish else row.parish_code,
                    proposal=short(row.proposal),
                    status=ctx.t(COMMITMENT_STATUS_LABELS.get(row.status, row.status)),
                    deadline=deadline_text(row.deadline),
                )
            )
        if not can_update(scope, Action.UPDATE_COMMITMENT):
            return Outcome([Reply("\n".join(lines))])
        lines.append(ctx.t("Para cambiar el estado de un compromiso, elíjalo o escriba su número."))
        options = tuple(Option(f"commitment:{row.id}", f"#{row.id}") for row in rows[:MAX_BUTTONS])
        return Outcome([Reply("\n".join(lines), options)], step="choosing_commitment")

    async def _open(self, ctx: FlowContext, commitment_id: int) -> Outcome:
        row = await commitment_for_update(
            ctx.session, await current_scope(ctx), commitment_id, now=ctx.now
        )
        text = "\n".join(
            [
                ctx.t(
                    "Compromiso #{id} · estado: {status}",
                    id=row.id,
                    status=ctx.t(COMMITMENT_STATUS_LABELS.get(row.status, row.status)),
                ),
                ctx.t("Propuesta: {text}", text=short(row.proposal, 300)),
                ctx.t(
                    "Compromiso institucional: {text}", text=short(row.institution_commitment, 300)
                ),
                ctx.t("¿A qué estado pasa?"),
            ]
        )
        options = tuple(
            Option(f"status:{s}", ctx.t(COMMITMENT_STATUS_LABELS[s]))
            for s in COMMITMENT_STATUSES
            if s != row.status
        )
        return Outcome([Reply(text, options)], step="choosing_status", data={"id": row.id})

    def _choosing_status(self, ctx: FlowContext, data: dict[str, Any], answer: Answer) -> Outcome:
        prompt = ctx.t("Escriba una nota para el seguimiento (queda con el cambio).")
        return ask_for_note(ctx, data, answer, COMMITMENT_STATUS_LABELS, prompt)

    async def _writing_note(
        self, ctx: FlowContext, data: dict[str, Any], answer: Answer
    ) -> Outcome:
        note = read_note(ctx, data, answer)
        if isinstance(note, Outcome):
            return note
        change = await update_commitment_status(
            ctx.session,
            await current_scope(ctx),
            int(data["id"]),
            data["status"],
            now=ctx.now,
            note=note,
            ministry=ctx.settings.ministry_name,
        )
        return Outcome(
            [
                Reply(
                    ctx.t(
                        "Compromiso #{id}: «{before}» → «{after}». Avisos a suscriptores en "
                        "cola: {notices}.",
                        id=change.commitment.id,
                        before=ctx.t(COMMITMENT_STATUS_LABELS[change.previous]),
                        after=ctx.t(COMMITMENT_STATUS_LABELS[change.commitment.status]),
                        notices=change.notices,
                    )
                )
            ]
        )
