"""«/casos»: the district's queue of open follow-up cases."""

from __future__ import annotations

from typing import Any

from bot.flows.base import Answer, FlowContext, Outcome, Reply
from bot.flows.staff_access import current_scope, require_role
from bot.flows.staff_district import ask_district, district_from_answer, own_district
from bot.services.authz import Action
from bot.services.staff_queries import district_cases


class StaffCasesFlow:
    """Lists open cases of the staff member's district (or of the district they name)."""

    name = "staff_casos"
    in_menu = False
    commands = ("/casos",)
    keywords: tuple[str, ...] = ()

    def title(self, ctx: FlowContext) -> str:
        """Label (not in the menu)."""
        return ctx.t("Casos del distrito")

    async def start(self, ctx: FlowContext, data: dict[str, Any]) -> Outcome:
        """Analysts see their district at once; others are asked which district."""
        scope = await require_role(ctx, Action.VIEW_CASES)
        district = own_district(scope)
        if district is None:
            return ask_district(ctx, data)
        return await self._list(ctx, district)

    async def step(
        self, ctx: FlowContext, step: str, data: dict[str, Any], answer: Answer
    ) -> Outcome:
        """Lists the cases of the district typed."""
        return await self._list(ctx, district_from_answer(ctx, answer))

    async def _list(self, ctx: FlowContext, district: str) -> Outcome:
        scope = await current_scope(ctx)
        cases = await district_cases(ctx.session, scope, district, now=ctx.now)
        if not cases:
            return Outcome(
                [Reply(ctx.t("El distrito {code} no tiene casos abiertos.", code=district))]
            )
        lines = [ctx.t("Casos abiertos del distrito {code}:", code=district)]
        for case in cases:
            due = case.due_on.isoformat() if case.due_on else "-"
            lines.append(
                ctx.t(
                    "• {number} · {kind} · {status} · vence {due}",
                    number=case.number,
                    kind=case.kind,
                    status=case.status,
                    due=due,
                )
            )
        return Outcome([Reply("\n".join(lines))])
