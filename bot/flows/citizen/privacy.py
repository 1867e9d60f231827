"""/privacidad: the privacy notice, what is kept after erasure, and the citizen's rights.

The notice is written from `bot.services.personal_data.KINDS`, the declared inventory of what the
bot stores, so it names every kind of data the tables hold (a test keeps the two together).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.flows.base import FlowContext, NoState, Opening, Outcome, Reply, StepHandler
from bot.services.personal_data import KINDS


def privacy_notice(ctx: FlowContext) -> str:
    """The short privacy notice (LOPDP) shown at /start."""
    return ctx.t(
        "Aviso de privacidad: {ministry} usa sus mensajes solo para responderle. Guardamos este "
        "chat, su idioma y la parroquia que nos indique (para ofrecérsela la próxima vez); su "
        "celular y sus suscripciones solo si pide recordatorios; sus respuestas a un Diálogo "
        "Ciudadano y los casos que pida abrir. Su cédula se usa para la consulta y no se "
        "guarda, salvo en un caso que usted pida abrir. Detalles en /privacidad; vea lo que "
        "guardamos con /mis_datos y bórrelo con /borrar_mis_datos.",
        ministry=ctx.settings.ministry_name,
    )


def privacy_brief(ctx: FlowContext) -> str:
    """The notice in two sentences, for SMS; the whole one is a /privacidad away."""
    return ctx.t(
        "Privacidad: usamos sus mensajes solo para responderle y su cédula no se guarda. "
        "Detalles: /privacidad",
    )


def full_notice(ctx: FlowContext) -> str:
    """The whole notice: what is stored and why, what erasure removes, and what stays."""
    lines = [
        ctx.t(
            "Aviso de privacidad: {ministry} usa sus mensajes solo para responderle.",
            ministry=ctx.settings.ministry_name,
        ),
        ctx.t("Guardamos:"),
    ]
    lines.extend(f"• {ctx.t(kind.stored)}" for kind in KINDS)
    lines.append(
        ctx.t(
            "Su cédula se usa para consultar el registro del Ministerio y no se guarda, salvo "
            "en un caso que usted pida abrir."
        )
    )
    lines.append(
        ctx.t(
            "Vea todo con /mis_datos. Con /borrar_mis_datos retiramos los mensajes en cola para "
            "usted y borramos su celular, su parroquia, sus suscripciones, su consentimiento y "
            "sus respuestas al Diálogo. Después de borrar queda solo:"
        )
    )
    lines.extend(f"• {ctx.t(kind.after_erase)}" for kind in KINDS if kind.after_erase)
    lines.append(
        ctx.t(
            "Si su celular está en el registro de beneficiarios del Ministerio, puede recibir "
            "por SMS los avisos de su parroquia; para no recibir ninguno, responda BAJA a uno."
        )
    )
    return "\n".join(lines)


class PrivacyFlow:
    """Shows the privacy notice."""

    name = "privacidad"
    in_menu = False
    commands = ("/privacidad",)
    keywords = ("privacidad", "mis datos personales", "proteccion de datos")
    state_type = NoState

    def title(self, ctx: FlowContext) -> str:
        """Label."""
        return ctx.t("Privacidad")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Shows the notice and how to exercise the rights."""
        rights = ctx.t(
            "Según la Ley Orgánica de Protección de Datos Personales, usted puede conocer, "
            "corregir y eliminar sus datos. Llame al {phone} si tiene dudas.",
            phone=ctx.settings.call_centre,
        )
        return Outcome([Reply(full_notice(ctx) + "\n" + rights)])

    def steps(self) -> Mapping[str, StepHandler[NoState]]:
        """None: the flow answers in one message."""
        return {}
