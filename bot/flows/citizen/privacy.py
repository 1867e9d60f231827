"""/privacidad: the privacy notice and the citizen's rights."""

from __future__ import annotations

from typing import Any

from bot.flows.base import Answer, FlowContext, Outcome, Reply
from bot.flows.citizen.welcome import privacy_notice


class PrivacyFlow:
    """Shows the privacy notice."""

    name = "privacidad"
    in_menu = False
    commands = ("/privacidad",)
    keywords = ("privacidad", "mis datos personales", "proteccion de datos")

    def title(self, ctx: FlowContext) -> str:
        """Label."""
        return ctx.t("Privacidad")

    async def start(self, ctx: FlowContext, data: dict[str, Any]) -> Outcome:
        """Shows the notice and how to exercise the rights."""
        rights = ctx.t(
            "Según la Ley Orgánica de Protección de Datos Personales, usted puede conocer, "
            "corregir y eliminar sus datos. Llame al {phone} si tiene dudas.",
            phone=ctx.settings.call_centre,
        )
        return Outcome([Reply(privacy_notice(ctx) + "\n" + rights)])

    async def step(
        self, ctx: FlowContext, step: str, data: dict[str, Any], answer: Answer
    ) -> Outcome:
        """No steps: shows the notice again."""
        return await self.start(ctx, data)
