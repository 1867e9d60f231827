"""«/casos»: the district's queue of open follow-up cases, and changing a case's status."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain.dialogue import CASE_STATUS_LABELS, CASE_TRANSITIONS
from bot.domain.staff import StaffScope
from bot.domain.text import for_staff
from bot.flows.base import Answer, FlowContext, Opening, Option, Outcome, Reply, StepHandler
from bot.flows.staff.access import current_scope, require_role, resolve_target
from bot.flows.staff.district import (
    CHOOSING_DISTRICT,
    ask_district,
    district_from_answer,
    own_district,
)
from bot.flows.staff.status_note import StatusPick, ask_for_note, read_note
from bot.services.authz import PERMISSIONS, Action, sees_national_queue
from bot.services.staff_queries import district_cases
from bot.services.staff_updates import case_for_update, update_case_status

MAX_CASE_BUTTONS = 8
NATIONAL_QUEUE = "national"  # the option key of the queue of places without a district


@dataclass(frozen=True)
class CaseState(StatusPick):
    """The case being changed (its number) and the new status chosen."""

    number: str = ""


def can_update(scope: StaffScope | None, action: Action) -> bool:
    """Whether the role may change things at all (territory is checked when it acts)."""
    return scope is not None and scope.role in PERMISSIONS[action].roles


def short(text: str, limit: int = 60) -> str:
    """The first `limit` characters of a text, on one line."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


class StaffCasesFlow:
    """Lists a district's open cases; writers pick one, a new status and a note."""

    name = "staff_casos"
    in_menu = False
    commands = ("/casos",)
    keywords: tuple[str, ...] = ()
    state_type = CaseState

    def title(self, ctx: FlowContext) -> str:
        """Label (not in the menu)."""
        return ctx.t("Casos del distrito")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Analysts see their district at once; others are asked which district.

        «/casos NUMERO» opens that case directly for a status change.
        """
        scope = await require_role(ctx, Action.VIEW_CASES)
        number = opening.args.strip()
        if number:
            return await self._open_case(ctx, number)
        district = own_district(scope)
        if district is None:
            return self._ask_queue(ctx, scope)
        return await self._list(ctx, district)

    def _ask_queue(self, ctx: FlowContext, scope: StaffScope) -> Outcome:
        """Asks which district; national roles are also offered the national queue."""
        asked = ask_district(ctx)
        if not sees_national_queue(scope):
            return asked
        text = "\n".join(
            [
                asked.replies[0].text,
                ctx.t(
                    "Los casos de lugares sin dirección distrital están en la cola nacional: "
                    "escriba «nacional» o elija el botón."
                ),
            ]
        )
        option = Option(NATIONAL_QUEUE, ctx.t("Cola nacional (sin distrito)"))
        return Outcome([Reply(text, (option,))], step=asked.step, state=asked.state)

    def steps(self) -> Mapping[str, StepHandler[CaseState]]:
        """District (or national queue), case, new status, note."""
        return {
            CHOOSING_DISTRICT: self._choosing_district,
            "choosing_case": self._choosing_case,
            "choosing_status": self._choosing_status,
            "writing_note": self._writing_note,
        }

    async def _choosing_district(
        self, ctx: FlowContext, state: CaseState, answer: Answer
    ) -> Outcome:
        if await self._wants_national_queue(ctx, answer):
            return await self._list(ctx, None)
        return await self._list(ctx, district_from_answer(ctx, answer))

    async def _choosing_case(self, ctx: FlowContext, state: CaseState, answer: Answer) -> Outcome:
        value = answer.option or answer.text
        return await self._open_case(ctx, value.removeprefix("case:"))

    async def _wants_national_queue(self, ctx: FlowContext, answer: Answer) -> bool:
        """«nacional», its button, or (for national roles) a place that has no district."""
        value = answer.option or answer.text
        if value == NATIONAL_QUEUE:
            return True
        target, _ = resolve_target(ctx, value)
        if target is None or target.district_code is not None:
            return False
        scope = await current_scope(ctx)
        return target.kind == "national" or (scope is not None and sees_national_queue(scope))

    async def _list(self, ctx: FlowContext, district: str | None) -> Outcome:
        """The open cases of `district`, or of the national queue when it is None."""
        scope = await current_scope(ctx)
        cases = await district_cases(ctx.session, scope, district, now=ctx.now)
        if not cases:
            empty = (
                ctx.t("El distrito {code} no tiene casos abiertos.", code=district)
                if district
                else ctx.t("La cola nacional no tiene casos abiertos.")
            )
            return Outcome([Reply(empty)])
        lines = [
            ctx.t("Casos abiertos del distrito {code}:", code=district)
            if district
            else ctx.t("Casos abiertos de la cola nacional (lugares sin dirección distrital):")
        ]
        for case in cases:
            due = case.due_on.isoformat() if case.due_on else "-"
            lines.append(
                ctx.t(
                    "• {number} · {kind} · {status} · vence {due}",
                    number=case.number,
                    kind=case.kind,
                    status=ctx.t(CASE_STATUS_LABELS.get(case.status, case.status)),
                    due=due,
                )
            )
        if not can_update(scope, Action.UPDATE_CASE):
            return Outcome([Reply("\n".join(lines))])
        lines.append(ctx.t("Para cambiar el estado de un caso, elíjalo o escriba su número."))
        options = tuple(
            Option(f"case:{case.number}", case.number) for case in cases[:MAX_CASE_BUTTONS]
        )
        return Outcome([Reply("\n".join(lines), options)], step="choosing_case")

    async def _open_case(self, ctx: FlowContext, number: str) -> Outcome:
        case = await case_for_update(ctx.session, await current_scope(ctx), number, now=ctx.now)
        status = ctx.t(CASE_STATUS_LABELS.get(case.status, case.status))
        targets = CASE_TRANSITIONS.get(case.status, ())
        if not targets:
            return Outcome(
                [
                    Reply(
                        ctx.t(
                            "El caso {number} está cerrado («{status}»); ya no cambia de estado.",
                            number=case.number,
                            status=status,
                        )
                    )
                ]
            )
        text = "\n".join(
            [
                ctx.t(
                    "Caso {number} · {kind} · estado: {status}",
                    number=case.number,
                    kind=case.kind,
                    status=status,
                ),
                self._description(ctx, case.kind, case.description),
                ctx.t("¿A qué estado pasa?"),
            ]
        )
        options = tuple(Option(f"status:{s}", ctx.t(CASE_STATUS_LABELS[s])) for s in targets)
        return Outcome(
            [Reply(text, options)], step="choosing_status", state=CaseState(number=case.number)
        )

    def _description(self, ctx: FlowContext, kind: str, description: str) -> str:
        """The case's description as staff may safely read it; a citizen's words are marked."""
        text = short(for_staff(description), 300) or "—"
        if kind == "excluido":  # written by the citizen who reported the case
            return ctx.t("Texto del ciudadano: «{text}»", text=text)
        return ctx.t("Descripción: {text}", text=text)

    async def _choosing_status(self, ctx: FlowContext, state: CaseState, answer: Answer) -> Outcome:
        prompt = ctx.t("Escriba una nota para el expediente (queda con el cambio).")
        return ask_for_note(ctx, state, answer, CASE_STATUS_LABELS, prompt)

    async def _writing_note(self, ctx: FlowContext, state: CaseState, answer: Answer) -> Outcome:
        note = read_note(ctx, state, answer)
        if isinstance(note, Outcome):
            return note
        change = await update_case_status(
            ctx.session,
            await current_scope(ctx),
            state.number,
            state.status,
            now=ctx.now,
            note=note,
            ministry=ctx.settings.ministry_name,
        )
        lines = [
            ctx.t(
                "Caso {number}: «{before}» → «{after}».",
                number=change.case.number,
                before=ctx.t(CASE_STATUS_LABELS[change.previous]),
                after=ctx.t(CASE_STATUS_LABELS[change.case.status]),
            )
        ]
        if change.reporter_notified:
            lines.append(ctx.t("Se avisó a la persona que reportó el caso."))
        return Outcome([Reply("\n".join(lines))])
