"""«/vincular»: a staff member links their Telegram account with the one-time code they got."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.staff import Role
from bot.flows.base import Answer, FlowContext, NoState, Opening, Outcome, Reply, StepHandler
from bot.services.authz import ROLE_LABELS, scope_label
from bot.services.staff import StaffError, link_telegram, scope_of

STAFF_COMMANDS = {
    Role.ADMIN: "/evento /difundir /casos /compromisos /estadisticas",
    Role.ZONAL: "/evento /difundir /casos /compromisos /estadisticas",
    Role.DISTRICT: "/evento /difundir /casos /compromisos /estadisticas",
    Role.AUDITOR: "/casos /compromisos /estadisticas",
    Role.TECHNICIAN: "/familias /informado",
}


class StaffLinkFlow:
    """Asks for the link code and ties the Telegram user to the staff account."""

    name = "staff_vincular"
    in_menu = False
    commands = ("/vincular",)
    keywords: tuple[str, ...] = ()
    state_type = NoState

    def title(self, ctx: FlowContext) -> str:
        """Label (not in the menu)."""
        return ctx.t("Vincular cuenta de personal")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Asks for the code (only in a private Telegram chat); «/vincular CODE» links at once."""
        if ctx.channel != "telegram" or not ctx.address.isdigit():
            return Outcome(
                [Reply(ctx.t("La vinculación de personal se hace en un chat privado de Telegram."))]
            )
        code = opening.args.strip()
        if code:
            try:
                return await self._link(ctx, code)
            except StaffError as error:
                return Outcome([Reply(ctx.t(error.template, **error.params))], step="asking_code")
        return Outcome(
            [Reply(ctx.t("Escriba el código de vinculación que le dio su administrador."))],
            step="asking_code",
        )

    def steps(self) -> Mapping[str, StepHandler[NoState]]:
        """One step: asking the code."""
        return {"asking_code": self._asking_code}

    async def _asking_code(self, ctx: FlowContext, state: NoState, answer: Answer) -> Outcome:
        """Links the account (a wrong or expired code is answered and the step repeats)."""
        return await self._link(ctx, answer.text)

    async def _link(self, ctx: FlowContext, code: str) -> Outcome:
        staff = await link_telegram(ctx.session, code, int(ctx.address), ctx.now)
        scope = scope_of(staff)
        return Outcome(
            [
                Reply(
                    ctx.t(
                        "Listo, {name}: su cuenta quedó vinculada ({role}, {scope}). "
                        "Comandos disponibles: {commands}",
                        name=staff.name,
                        role=ctx.t(ROLE_LABELS[scope.role]),
                        scope=scope_label(scope),
                        commands=STAFF_COMMANDS[scope.role],
                    )
                )
            ]
        )
