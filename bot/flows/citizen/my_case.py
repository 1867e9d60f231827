"""«Mi caso 123», «¿cómo va mi caso?»: the status of a case this contact reported.

Only the contact's own cases are shown (those reported from this chat with consent to follow
them): a number that belongs to someone else reads exactly like one that does not exist, so
nobody learns about another person's case by trying numbers.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.case_reference import case_reference
from bot.domain.dialogue import CASE_STATUS_LABELS
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
from bot.services import cases
from bot.services.cases import CaseView

PREFIX = "case:"


class MyCaseFlow:
    """Shows the status of one of the contact's cases."""

    name = "mi_caso"
    in_menu = False
    commands = ("/mi_caso", "/caso")
    keywords: tuple[str, ...] = ()
    state_type = NoState

    def title(self, ctx: FlowContext) -> str:
        """Label."""
        return ctx.t("Estado de mi caso")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """The case named in the message, or the contact's cases to choose from."""
        reference = case_reference(opening.args)
        if reference is not None:
            return await self._show_reference(ctx, opening.args)
        own = await cases.cases_of_reporter(ctx.session, ctx.contact.id)
        if not own:
            text = ctx.t(
                "No tiene casos registrados desde este chat. Si reportó por teléfono o en la "
                "oficina, consulte al {phone}.",
                phone=ctx.settings.call_centre,
            )
            return Outcome([Reply(text)])
        if len(own) == 1:
            return Outcome([Reply(self._status(ctx, own[0]))])
        options = tuple(Option(f"{PREFIX}{c.id}", c.number) for c in own[:8])
        text = ctx.t("¿De cuál caso quiere saber? También puede escribir su número.")
        return Outcome([Reply(text, options)], step="choosing_case")

    def steps(self) -> Mapping[str, StepHandler[NoState]]:
        """Choosing among the contact's cases (or typing a number)."""
        return {"choosing_case": self._choosing}

    async def _choosing(self, ctx: FlowContext, state: NoState, answer: Answer) -> Outcome:
        if answer.option and answer.option.startswith(PREFIX):
            return await self._show_reference(ctx, answer.option.removeprefix(PREFIX))
        return await self._show_reference(ctx, answer.text)

    async def _show_reference(self, ctx: FlowContext, text: str) -> Outcome:
        reference = case_reference(text)
        found = (
            None
            if reference is None
            else await cases.reporter_case(ctx.session, ctx.contact.id, reference)
        )
        if found is None:
            text = ctx.t(
                "No encontré ese caso entre los que usted registró en este chat. Por su "
                "privacidad solo muestro los casos que usted reportó aquí. Revise el número "
                "(por ejemplo 11D06-2026-00042 o solo 42) o llame gratis al {phone}.",
                phone=ctx.settings.call_centre,
            )
            return Outcome([Reply(text)])
        return Outcome([Reply(self._status(ctx, found))])

    def _status(self, ctx: FlowContext, case: CaseView) -> str:
        label = CASE_STATUS_LABELS.get(case.status, case.status)
        lines = [
            ctx.t("Caso {number}: {status}.", number=case.number, status=ctx.t(label)),
            ctx.t(
                "Última actualización: {date}.", date=ctx.tr.date(case.updated_at.date(), "long")
            ),
        ]
        if case.status not in cases.CLOSED_STATUSES and case.due_on is not None:
            lines.append(ctx.t("Se revisará hasta el {due}.", due=ctx.tr.date(case.due_on, "long")))
        return "\n".join(lines)
