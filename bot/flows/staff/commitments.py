"""«/compromisos»: the district's commitments and their follow-up status, with a note."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain.dialogue import COMMITMENT_STATUS_LABELS, COMMITMENT_STATUSES
from bot.flows.base import Answer, FlowContext, Opening, Option, Outcome, Reply, StepHandler
from bot.flows.staff.access import current_scope
from bot.flows.staff.cases import can_update, short
from bot.flows.staff.district import (
    CHOOSING_DISTRICT,
    district_from_answer,
    open_for_district,
)
from bot.flows.staff.status_note import StatusPick, ask_for_note, read_note
from bot.services.authz import Action
from bot.services.reports import deadline_text
from bot.services.staff_queries import district_commitments
from bot.services.staff_updates import commitment_for_update, update_commitment_status

MAX_BUTTONS = 8


@dataclass(frozen=True)
class CommitmentState(StatusPick):
    """The commitment being changed (its id) and the new status chosen."""

    id: int = 0


class StaffCommitmentsFlow:
    """Lists a district's commitments; writers pick one, a new status and a note."""

    name = "staff_compromisos"
    in_menu = False
    commands = ("/compromisos",)
    keywords: tuple[str, ...] = ()
    state_type = CommitmentState

    def title(self, ctx: FlowContext) -> str:
        """Label (not in the menu)."""
        return ctx.t("Compromisos del distrito")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Analysts see their district at once; others are asked which district.

        A citizen who types the command gets the citizens' commitments flow instead.
        """
        if await current_scope(ctx) is None:
            return Outcome([], switch_to="compromisos")
        return await open_for_district(
            ctx, Action.VIEW_COMMITMENTS, lambda district: self._list(ctx, district)
        )

    def steps(self) -> Mapping[str, StepHandler[CommitmentState]]:
        """District, commitment, new status, note."""
        return {
            CHOOSING_DISTRICT: self._choosing_district,
            "choosing_commitment": self._choosing_commitment,
            "choosing_status": self._choosing_status,
            "writing_note": self._writing_note,
        }

    async def _choosing_district(
        self, ctx: FlowContext, state: CommitmentState, answer: Answer
    ) -> Outcome:
        return await self._list(ctx, district_from_answer(ctx, answer))

    async def _choosing_commitment(
        self, ctx: FlowContext, state: CommitmentState, answer: Answer
    ) -> Outcome:
        value = (answer.option or answer.text).removeprefix("commitment:").lstrip("#").strip()
        if not (value.isascii() and value.isdigit() and len(value) <= 9):
            return Outcome(
                [Reply(ctx.t("Elija un compromiso o escriba su número (p. ej. 12)."))],
                step="choosing_commitment",
            )
        return await self._open(ctx, int(value))

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
        return Outcome(
            [Reply(text, options)], step="choosing_status", state=CommitmentState(id=row.id)
        )

    async def _choosing_status(
        self, ctx: FlowContext, state: CommitmentState, answer: Answer
    ) -> Outcome:
        prompt = ctx.t("Escriba una nota para el seguimiento (queda con el cambio).")
        return ask_for_note(ctx, state, answer, COMMITMENT_STATUS_LABELS, prompt)

    async def _writing_note(
        self, ctx: FlowContext, state: CommitmentState, answer: Answer
    ) -> Outcome:
        note = read_note(ctx, state, answer)
        if isinstance(note, Outcome):
            return note
        change = await update_commitment_status(
            ctx.session,
            await current_scope(ctx),
            state.id,
            state.status,
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
