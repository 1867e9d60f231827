"""«Compromisos en mi parroquia»: what was agreed in the parish's dialogues, and notices.

The citizen names their parish and reads each commitment (proposal, what the ministry committed
to, deadline, status); they may subscribe to notices when a status changes or a deadline nears.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain.dialogue import COMMITMENT_STATUS_LABELS
from bot.flows.base import Answer, FlowContext, Opening, Option, Outcome, Reply, StepHandler
from bot.flows.parish_choice import ASKING_PARISH, parish_question, parish_step
from bot.services import commitments
from bot.services.commitments import CommitmentView
from bot.services.territory import Place

SUBSCRIBE = "subscribe"
UNSUBSCRIBE = "unsubscribe"
DONE = "done"
MAX_LISTED = 10


@dataclass(frozen=True)
class CommitmentsState:
    """The parish whose commitments are shown."""

    parish: str = ""
    parish_label: str = ""


class CommitmentsFlow:
    """Shows a parish's commitments and manages the citizen's notices about them."""

    name = "compromisos"
    in_menu = True
    commands = ("/acuerdos",)
    keywords = ("compromisos", "acuerdos del dialogo", "que se comprometio", "avances del mies")
    state_type = CommitmentsState

    def title(self, ctx: FlowContext) -> str:
        """Menu label."""
        return ctx.t("Compromisos en mi parroquia")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Asks for the parish."""
        return Outcome([parish_question(ctx)], step=ASKING_PARISH)

    def steps(self) -> Mapping[str, StepHandler[CommitmentsState]]:
        """The parish, then the notices (subscribe / unsubscribe)."""
        return {ASKING_PARISH: self._parish, "choosing_notices": self._notices}

    async def _parish(self, ctx: FlowContext, state: CommitmentsState, answer: Answer) -> Outcome:
        async def chosen(place: Place) -> Outcome:
            return await self._list(ctx, CommitmentsState(place.code, place.label))

        return await parish_step(ctx, state, answer, chosen, self.name)

    async def _notices(self, ctx: FlowContext, state: CommitmentsState, answer: Answer) -> Outcome:
        """Subscribes or unsubscribes; anything else lists the commitments again."""
        parish = state.parish
        if answer.option == SUBSCRIBE:
            await commitments.subscribe(ctx.session, ctx.contact, parish, now=ctx.now)
            return Outcome(
                [
                    Reply(
                        ctx.t(
                            "Listo: le avisaremos por este medio cuando un compromiso de "
                            "{parish} cambie de estado o se acerque su plazo.",
                            parish=state.parish_label,
                        )
                    )
                ]
            )
        if answer.option == UNSUBSCRIBE:
            await commitments.unsubscribe(ctx.session, ctx.contact, parish)
            return Outcome([Reply(ctx.t("Listo, ya no le enviaremos esos avisos."))])
        if answer.option == DONE:
            return Outcome([])
        return await self._list(ctx, state)

    async def _list(self, ctx: FlowContext, data: CommitmentsState) -> Outcome:
        parish = data.parish
        rows = await commitments.parish_commitments(ctx.session, parish)
        if rows:
            lines = [
                ctx.t(
                    "Compromisos del {ministry} en {parish}:",
                    ministry=ctx.settings.ministry_name,
                    parish=data.parish_label,
                )
            ]
            lines.extend(self._line(ctx, i, row) for i, row in enumerate(rows[:MAX_LISTED], 1))
            if len(rows) > MAX_LISTED:
                lines.append(
                    ctx.t(
                        "… y {count} más en la dirección distrital.", count=len(rows) - MAX_LISTED
                    )
                )
        else:
            lines = [
                ctx.t(
                    "Aún no hay compromisos registrados para {parish}.",
                    parish=data.parish_label,
                )
            ]
        subscribed = await commitments.is_subscribed(ctx.session, ctx.contact, parish)
        if subscribed:
            notice = Option(UNSUBSCRIBE, ctx.t("Dejar de recibir avisos"))
        else:
            notice = Option(SUBSCRIBE, ctx.t("Recibir avisos de cambios"))
        options = (notice, Option(DONE, ctx.t("Volver al menú")))
        return Outcome([Reply("\n\n".join(lines), options)], step="choosing_notices", state=data)

    def _line(self, ctx: FlowContext, index: int, row: CommitmentView) -> str:
        deadline = (
            ctx.t("Permanente") if row.deadline is None else ctx.tr.date(row.deadline, "long")
        )
        status = ctx.t(COMMITMENT_STATUS_LABELS.get(row.status, row.status))
        return "\n".join(
            [
                f"{index}. {row.proposal}",
                # Both columns of the matrix: what the citizens took on, beside the ministry.
                ctx.t("Compromiso de la ciudadanía: {text}", text=row.citizen_commitment),
                ctx.t("Compromiso institucional: {text}", text=row.institution_commitment),
                ctx.t("Plazo: {deadline} · Estado: {status}", deadline=deadline, status=status),
            ]
        )
