"""«/estadisticas»: a district's conversations, look-ups, cases and SMS outcomes (30 days)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.flows.base import Answer, FlowContext, NoState, Opening, Outcome, Reply, StepHandler
from bot.flows.staff.access import current_scope
from bot.flows.staff.district import (
    CHOOSING_DISTRICT,
    district_from_answer,
    open_for_district,
)
from bot.services.authz import Action
from bot.services.staff_queries import district_stats


class StaffStatsFlow:
    """Shows the district's figures of the last 30 days."""

    name = "staff_estadisticas"
    in_menu = False
    commands = ("/estadisticas",)
    keywords: tuple[str, ...] = ()
    state_type = NoState

    def title(self, ctx: FlowContext) -> str:
        """Label (not in the menu)."""
        return ctx.t("Estadísticas del distrito")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Analysts see their district at once; others are asked which district."""
        return await open_for_district(
            ctx, Action.VIEW_STATS, lambda district: self._show(ctx, district)
        )

    def steps(self) -> Mapping[str, StepHandler[NoState]]:
        """One step: choosing the district."""
        return {CHOOSING_DISTRICT: self._choosing_district}

    async def _choosing_district(self, ctx: FlowContext, state: NoState, answer: Answer) -> Outcome:
        """Shows the figures of the district typed."""
        return await self._show(ctx, district_from_answer(ctx, answer))

    async def _show(self, ctx: FlowContext, district: str) -> Outcome:
        scope = await current_scope(ctx)
        stats = await district_stats(ctx.session, scope, district, now=ctx.now)
        text = "\n".join(
            [
                ctx.t("Distrito {code}, últimos 30 días:", code=district),
                ctx.t("Conversaciones: {n}", n=stats.conversations),
                ctx.t("Consultas de estado de pago: {n}", n=stats.lookups),
                ctx.t(
                    "Casos abiertos: {open} (total: {total})",
                    open=stats.cases_open,
                    total=stats.cases_total,
                ),
                ctx.t(
                    "SMS enviados: {sent} · entregados: {delivered} · fallidos: {failed}",
                    sent=stats.sms_sent,
                    delivered=stats.sms_delivered,
                    failed=stats.sms_failed,
                ),
                ctx.t(
                    "Telegram enviados: {telegram} · familias informadas en persona: {people}",
                    telegram=stats.telegram_sent,
                    people=stats.in_person,
                ),
            ]
        )
        return Outcome([Reply(text)])
