"""«Me cobran por el bono», «un tramitador me pide plata»: bonos are free; report it.

The citizen is told first what protects them: bonos and pensiones are free, nobody may charge
for signing up, for getting paid or for collecting, and the ministry never asks for a bank
password. Then they may report it: a short account becomes a priority case
(`cases.PRIORITY_DUE_DAYS`) for the district of their parish, or the national queue, opened
and audited in one service call; the call centre takes reports too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from bot.domain.dialogue import MAX_ANSWER_CHARS
from bot.domain.yes_no import YesNo, read_yes_no
from bot.flows.base import (
    Answer,
    FlowContext,
    Opening,
    Option,
    Outcome,
    Reply,
    StepHandler,
)
from bot.flows.long_answers import keep_up_to_limit
from bot.services import cases

REPORT_AND_NOTIFY = "report_notify"
REPORT_ONLY = "report"
NO_REPORT = "no"


@dataclass(frozen=True)
class FraudState:
    """Whether the reporter wants to be told how the case advances."""

    notify: bool = False


class FraudFlow:
    """Says that bonos are free and records a fraud report as a priority case."""

    name = "fraude"
    in_menu = False
    commands = ("/denuncia",)
    keywords: tuple[str, ...] = ()
    state_type = FraudState

    def title(self, ctx: FlowContext) -> str:
        """Label, also offered when the bot is unsure of a message."""
        return ctx.t("Denunciar un cobro por el bono")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """The citizen's rights, then the offer to report."""
        lines = [
            ctx.t(
                "Los bonos y pensiones del {ministry} son gratuitos. Nadie puede cobrarle por "
                "inscribirle, por «subirle a pago» ni por cobrar: ni tramitadores, ni dirigentes, "
                "ni técnicos.",
                ministry=ctx.settings.ministry_name,
            ),
            ctx.t("El Ministerio nunca le pide su clave del banco ni dinero por mensaje."),
            ctx.t(
                "Puede denunciarlo gratis al {phone} o aquí mismo. ¿Quiere registrar la denuncia?",
                phone=ctx.settings.call_centre,
            ),
        ]
        return Outcome([Reply("\n".join(lines), self._options(ctx))], step="offering_report")

    def _options(self, ctx: FlowContext) -> tuple[Option, ...]:
        return (
            Option(REPORT_AND_NOTIFY, ctx.t("Sí, y avísenme cómo avanza")),
            Option(REPORT_ONLY, ctx.t("Sí, sin avisos")),
            Option(NO_REPORT, ctx.t("No, gracias")),
        )

    def steps(self) -> Mapping[str, StepHandler[FraudState]]:
        """Whether to report, then what happened."""
        return {"offering_report": self._offering, "describing": self._describing}

    async def _offering(self, ctx: FlowContext, state: FraudState, answer: Answer) -> Outcome:
        choice = answer.option
        if choice is None:
            said = read_yes_no(answer.text)
            choice = {YesNo.YES: REPORT_AND_NOTIFY, YesNo.NO: NO_REPORT}.get(said) if said else None
        if choice == NO_REPORT:
            text = ctx.t(
                "Está bien. Si vuelve a pasar, escríbame «me cobran» o llame gratis al {phone}.",
                phone=ctx.settings.call_centre,
            )
            return Outcome([Reply(text)])
        if choice not in (REPORT_AND_NOTIFY, REPORT_ONLY):
            text = ctx.t("¿Quiere registrar la denuncia? Elija una opción:")
            return Outcome([Reply(text, self._options(ctx))], step="offering_report", state=state)
        text = ctx.t(
            "Cuéntenos qué pasó: quién le cobró o le pidió dinero, cuánto y dónde (hasta {limit} "
            "caracteres). No escriba claves ni contraseñas.",
            limit=MAX_ANSWER_CHARS,
        )
        notify = choice == REPORT_AND_NOTIFY
        return Outcome([Reply(text)], step="describing", state=replace(state, notify=notify))

    async def _describing(self, ctx: FlowContext, state: FraudState, answer: Answer) -> Outcome:
        kept = keep_up_to_limit(ctx, answer, MAX_ANSWER_CHARS)
        territory = ctx.services.territory
        place = territory.get(ctx.contact.parish_code or "")
        case = await cases.open_citizen_case(
            ctx.session,
            actor=f"{ctx.channel}:{ctx.address}",
            audit_action="fraud_reported",
            audit_outcome="nuevo",
            kind="fraude",
            now=ctx.now,
            district_code=None if place is None else place.district_code,
            parish_code=None if place is None else place.code,
            description=kept.text,
            reporter_contact_id=ctx.contact.id if state.notify else None,
            reporter_consent=state.notify,
            due_days=cases.PRIORITY_DUE_DAYS,
        )
        lines = [
            *kept.notes,
            ctx.t("Registramos su denuncia con el número {number}.", number=case.number),
            ctx.t(
                "Es un caso prioritario: el equipo del Ministerio lo revisará hasta el {due}.",
                due=ctx.tr.date(case.due_on, "long") if case.due_on else "",
            ),
        ]
        if state.notify and ctx.channel in cases.NOTIFY_CHANNELS:
            lines.append(ctx.t("Le avisaremos por este medio cuando cambie su estado."))
        lines.append(
            ctx.t(
                "Para consultarlo escriba «mi caso {serial}» o llame gratis al {phone}.",
                serial=case.id,
                phone=ctx.settings.call_centre,
            )
        )
        return Outcome([Reply("\n".join(lines))])
