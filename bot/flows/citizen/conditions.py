"""«¿Qué me falta cumplir?»: the household's pending conditions, where to go, and reminders.

Like the payment flow, personal data is shown only after the cédula and a second factor
(bot/services/verification.py, same locks and audit). Then the citizen reads each pending
condition with its due date and where to go (MSP health centre, school, district office); a
suspended household reads the steps in their order (meet the condition first, then justify,
then the sensibilización session, with the next one planned in the parish); and may ask for
reminders on this channel 30 and 7 days before each due date, and of the technician's visit.
The flow's state (`ConditionsState`) holds only the typed cédula, and only while a next step
needs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.domain.corresponsabilidad import load_texts
from bot.domain.errors import N_, DomainError
from bot.domain.identity import parse_cedula
from bot.domain.second_factor import parse_second_factor
from bot.flows.base import Answer, FlowContext, Opening, Option, Outcome, Reply, StepHandler
from bot.services import reminder_consents
from bot.services.corresponsabilidad import HouseholdConditions, household_conditions, next_session
from bot.services.verification import (
    CODE_DIGITS,
    CodeRefused,
    CodeSent,
    CodeWrong,
    Locked,
    NotVerified,
    Verified,
    cedula_lock,
    chat_lock,
    verify,
    verify_code,
)
from notificaciones.condition_reminders import TOPIC_CONDITIONS, TOPIC_VISIT

REMIND = "recordar"
REMIND_ALL = "recordar_todo"
STOP = "no_recordar"
NO = "no"


@dataclass(frozen=True)
class ConditionsState:
    """The typed cédula, kept only while a next step needs it (empty: none)."""

    cedula: str = ""


class ConditionsFlow:
    """Verifies the citizen, lists what the household still has to meet, offers reminders."""

    name = "cumplir"
    in_menu = True
    commands = ("/cumplir", "/corresponsabilidad")
    state_type = ConditionsState
    keywords = (
        "que me falta cumplir",
        "que me falta",
        "que debo cumplir",
        "que tengo que cumplir",
        "corresponsabilidad",
        "condiciones del bono",
        "control del nino",
        "control de mi hijo",
    )

    def __init__(self) -> None:
        self._steps: dict[str, StepHandler[ConditionsState]] = {
            "asking_cedula": self._cedula,
            "asking_second_factor": self._verify,
            "asking_code": self._code,
            "offering_reminders": self._reminders,
        }

    def title(self, ctx: FlowContext) -> str:
        """Menu label."""
        return ctx.t("¿Qué me falta cumplir para el bono?")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Explains why identity is needed and asks the cédula (unless the chat is locked)."""
        locked = await chat_lock(ctx.session, ctx.channel, ctx.address, ctx.now)
        if locked is not None:
            return _locked(ctx, locked)
        intro = ctx.t(
            "Le digo qué le falta cumplir a su hogar para no perder el bono. Primero confirmo su "
            "identidad con dos datos."
        )
        return Outcome(
            [Reply(intro), Reply(ctx.t("Escriba su número de cédula (10 dígitos)."))],
            step="asking_cedula",
        )

    def steps(self) -> Mapping[str, StepHandler[ConditionsState]]:
        """The cédula, the second factor, then the offer of reminders."""
        return self._steps

    async def _cedula(self, ctx: FlowContext, state: ConditionsState, answer: Answer) -> Outcome:
        cedula = parse_cedula(answer.text)
        locked = await cedula_lock(ctx.session, cedula, ctx.now)
        if locked is not None:
            return _locked(ctx, locked)
        text = ctx.t(
            "Ahora escriba su fecha de nacimiento (día/mes/año, por ejemplo 14/03/1988) o "
            "el código dactilar que está al reverso de su cédula."
        )
        return Outcome(
            [Reply(text)], step="asking_second_factor", state=ConditionsState(cedula.value)
        )

    async def _verify(self, ctx: FlowContext, state: ConditionsState, answer: Answer) -> Outcome:
        cedula = parse_cedula(state.cedula)
        today = ctx.now.astimezone(ctx.settings.timezone).date()
        result = await verify(
            ctx.session,
            ctx.settings,
            channel=ctx.channel,
            address=ctx.address,
            cedula=cedula,
            factor=parse_second_factor(answer.text, today),
            now=ctx.now,
        )
        if isinstance(result, Locked):
            return _locked(ctx, result)
        if isinstance(result, NotVerified):
            lines = [ctx.t("No encontré un registro que coincida con esos dos datos.")]
            if result.locked_until is None and result.attempts_left:
                lines.append(
                    ctx.tr.tn(
                        "Le queda {n} intento antes de un bloqueo temporal.",
                        "Le quedan {n} intentos antes de un bloqueo temporal.",
                        result.attempts_left,
                    )
                )
            lines.append(
                ctx.t(
                    "Puede intentarlo otra vez con /cumplir, o preguntar en su dirección "
                    "distrital o al {phone}.",
                    phone=ctx.settings.call_centre,
                )
            )
            return Outcome([Reply("\n".join(lines))])
        if isinstance(result, CodeSent):  # by SMS/WhatsApp from a phone not the registry's
            text = ctx.t(
                "Para cuidar sus datos, desde este celular solo puedo mostrarlo con un código. Si "
                "el registro tiene un celular para esta cédula, le enviamos un SMS con un código "
                "de {digits} dígitos: escríbalo aquí.",
                digits=CODE_DIGITS,
            )
            return Outcome([Reply(text)], step="asking_code", state=state)
        if isinstance(result, CodeRefused):
            return Outcome([Reply(_ask_office(ctx))])
        return await self._show(ctx, cedula.value, result)

    async def _code(self, ctx: FlowContext, state: ConditionsState, answer: Answer) -> Outcome:
        digits = "".join(c for c in answer.text if c.isdigit())
        if len(digits) != CODE_DIGITS:
            raise DomainError(
                N_("Escriba el código de {digits} dígitos que le llegó por SMS."),
                digits=CODE_DIGITS,
            )
        result = await verify_code(
            ctx.session,
            channel=ctx.channel,
            address=ctx.address,
            cedula=parse_cedula(state.cedula),
            code=digits,
            now=ctx.now,
        )
        if isinstance(result, Verified):
            return await self._show(ctx, state.cedula, result)
        if isinstance(result, CodeWrong) and result.attempts_left > 0:
            return Outcome(
                [Reply(ctx.t("Ese código no es correcto. Escríbalo otra vez."))],
                step="asking_code",
                state=state,
            )
        return Outcome([Reply(_ask_office(ctx))])

    async def _show(self, ctx: FlowContext, cedula: str, result: Verified) -> Outcome:
        place = ctx.services.territory.get(result.records[0].parish_code or "")
        zone = ZoneInfo(place.timezone) if place else ctx.settings.timezone
        household = household_conditions(result.records, ctx.now.astimezone(zone).date())
        replies = [Reply(self._conditions_text(ctx, household))]
        if household.suspended:
            replies.append(Reply(await self._ladder_text(ctx, household, zone)))
        replies.append(await self._reminder_offer(ctx, cedula))
        return Outcome(replies, step="offering_reminders", state=ConditionsState(cedula))

    def _conditions_text(self, ctx: FlowContext, household: HouseholdConditions) -> str:
        if not household.conditions:
            return ctx.t(
                "Su hogar no tiene condiciones pendientes en el registro de este mes. Siga con "
                "los controles de salud de los niños y la asistencia a clases."
            )
        lines = [ctx.t("A su hogar le falta cumplir:")]
        for view in household.conditions:
            if view.due_on is None:
                when = ctx.t("pregunte la fecha en su dirección distrital")
            else:
                when = ctx.t("hasta el {day}", day=ctx.tr.date(view.due_on, "long"))
                if view.derived:
                    when += " " + ctx.t("(fecha aproximada)")
            lines.append(f"• {ctx.t(view.label)}: {when}.")
            lines.append("  " + ctx.t("Dónde: {where}.", where=ctx.t(view.where)))
        lines.append(ctx.t("Esto es orientación; las fechas oficiales las da el Ministerio."))
        return "\n".join(lines)

    async def _ladder_text(
        self, ctx: FlowContext, household: HouseholdConditions, zone: ZoneInfo
    ) -> str:
        lines = [ctx.t("Su pago está suspendido. Siga estos pasos, en este orden:")]
        for number, step in enumerate(household.ladder(), start=1):
            lines.append(f"{number}. {ctx.t(step.text)}")
            if step.text == _session_step():
                lines.append("   " + await self._session_line(ctx, household, zone))
        return "\n".join(lines)

    async def _session_line(
        self, ctx: FlowContext, household: HouseholdConditions, zone: ZoneInfo
    ) -> str:
        event = None
        if household.parish_code:
            event = await next_session(ctx.session, household.parish_code, ctx.now)
        if event is None:
            return ctx.t(
                "Por ahora no hay una sesión programada en su parroquia; pregunte en su "
                "dirección distrital cuándo será la próxima."
            )
        return ctx.t(
            "Próxima sesión en su parroquia: {title}, {when}, en {where}.",
            title=event.title,
            when=ctx.tr.datetime(event.starts_at.astimezone(zone)),
            where=event.place,
        )

    async def _reminder_offer(self, ctx: FlowContext, cedula: str) -> Reply:
        consented = await reminder_consents.has_consent(
            ctx.session,
            cedula=cedula,
            topic=TOPIC_CONDITIONS,
            channel=ctx.channel,
            address=ctx.address,
        )
        if consented:
            text = ctx.t("Ya recibe recordatorios por este medio antes de cada fecha.")
            options: tuple[Option, ...] = (
                Option(STOP, ctx.t("Dejar de recibir recordatorios")),
                Option(NO, ctx.t("Volver al menú")),
            )
            return Reply(text, options)
        text = ctx.t(
            "¿Quiere que le recuerde por este medio 30 y 7 días antes de cada fecha? Solo "
            "guardamos su cédula y este chat para eso; puede dejarlo cuando quiera."
        )
        options = (
            Option(REMIND, ctx.t("Sí, recordarme")),
            Option(REMIND_ALL, ctx.t("Sí, y también la visita del técnico")),
            Option(NO, ctx.t("No, gracias")),
        )
        return Reply(text, options)

    async def _reminders(self, ctx: FlowContext, state: ConditionsState, answer: Answer) -> Outcome:
        cedula = state.cedula
        if answer.option == NO:
            return Outcome([Reply(ctx.t("De acuerdo. No guardamos su cédula."))])
        if answer.option in (REMIND, REMIND_ALL):
            topics = (
                (TOPIC_CONDITIONS, TOPIC_VISIT)
                if answer.option == REMIND_ALL
                else (TOPIC_CONDITIONS,)
            )
            for topic in topics:
                await reminder_consents.give(
                    ctx.session,
                    cedula=cedula,
                    topic=topic,
                    channel=ctx.channel,
                    address=ctx.address,
                    now=ctx.now,
                    contact_id=ctx.contact.id,
                )
            text = ctx.t(
                "Listo: le recordaremos por este medio, nunca de noche. Para dejarlo, escriba "
                "/cumplir."
            )
            return Outcome([Reply(text)])
        if answer.option == STOP:
            for topic in (TOPIC_CONDITIONS, TOPIC_VISIT):
                await reminder_consents.withdraw(
                    ctx.session,
                    cedula=cedula,
                    topic=topic,
                    channel=ctx.channel,
                    address=ctx.address,
                    now=ctx.now,
                )
            return Outcome([Reply(ctx.t("Listo, ya no le enviaremos esos recordatorios."))])
        raise DomainError(N_("Elija una de las opciones, por favor."))


def _session_step() -> str:
    return load_texts().ladder.session


def _locked(ctx: FlowContext, locked: Locked) -> Outcome:
    when = ctx.tr.datetime(locked.until.astimezone(ctx.settings.timezone))
    text = ctx.t(
        "Por seguridad, después de varios intentos fallidos la consulta quedó bloqueada hasta "
        "el {when}. Desde entonces puede intentarlo de nuevo, o escriba /pago para recibir un "
        "código por SMS.",
        when=when,
    )
    return Outcome([Reply(text)])


def _ask_office(ctx: FlowContext) -> str:
    return ctx.t(
        "No pude confirmar su identidad por este medio. Pregunte lo que le falta cumplir en su "
        "dirección distrital, con su cédula, o llame gratis al {phone}.",
        phone=ctx.settings.call_centre,
    )
