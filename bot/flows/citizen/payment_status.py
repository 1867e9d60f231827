"""«¿Por qué no me llegó el pago?»: cédula + second factor, then the status explained.

Personal data is shown only after verification (bot/services/verification.py). With no
matching record the citizen may open a verification case for the district. A locked chat or
cédula is told until when (local time), and the cédula's owner may ask for a one-time code by
SMS to the registry's phone (`locked` → `asking_code`) instead of waiting. The flow's state
(`PaymentState`) holds only the typed cédula, and only while a next step needs it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.errors import N_, DomainError
from bot.domain.identity import Cedula, ascii_digits, parse_cedula
from bot.domain.payment_status import collection_days, explain, load_texts
from bot.domain.programmes import programme_name
from bot.domain.registry import PaymentStatus
from bot.domain.second_factor import parse_second_factor
from bot.flows.base import Answer, FlowContext, Opening, Option, Outcome, Reply, StepHandler
from bot.flows.citizen.left_out import who_reviews
from bot.services.cases import open_citizen_case
from bot.services.events import upcoming_events
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
    send_code,
    verify,
    verify_code,
)
from bot.storage.models import Beneficiary

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaymentState:
    """The typed cédula, kept only while a next step needs it (empty: none)."""

    cedula: str = ""


class PaymentStatusFlow:
    """Verifies the citizen and explains why a payment did or did not arrive."""

    name = "pago"
    in_menu = True
    commands = ("/pago", "/mi_pago")
    state_type = PaymentState
    keywords = (
        "no me llego",
        "no me llega",
        "no llego el bono",
        "no he cobrado",
        "no puedo cobrar",
        "cuando pagan",
        "cuando cobro",
        "cuando me pagan",
        "dia de pago",
        "fecha de pago",
        "mi pago",
        "estado de mi bono",
        "me suspendieron",
        "suspendido",
        "no sube a pago",
        "dado de baja",
        "consultar mi bono",
        "me quitaron el bono",
        "me bajaron el bono",
        "me bajo el bono",
        "me llego menos",
    )

    def __init__(self) -> None:
        # Each step keeps in its state only what the next one needs: the cédula, nothing else.
        self._steps: dict[str, StepHandler[PaymentState]] = {
            "asking_cedula": self._cedula,
            "asking_second_factor": self._verify,
            "offering_case": self._offering_case,
            "asking_case_place": self._case_place,
            "locked": self._locked_choice,
            "asking_code_cedula": self._code_cedula,
            "asking_code": self._code,
        }

    def title(self, ctx: FlowContext) -> str:
        """Menu label."""
        return ctx.t("¿Por qué no me llegó el pago?")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Explains why identity is needed and asks the cédula (unless the chat is locked)."""
        locked = await chat_lock(ctx.session, ctx.channel, ctx.address, ctx.now)
        if locked is not None:
            return _locked_outcome(ctx, locked.until, None)
        intro = ctx.t(
            "Para ver su pago necesito confirmar su identidad con dos datos. Solo los uso para "
            "esta consulta y no los guardo."
        )
        ask = ctx.t("Escriba su número de cédula (10 dígitos).")
        return Outcome([Reply(intro), Reply(ask)], step="asking_cedula")

    def steps(self) -> Mapping[str, StepHandler[PaymentState]]:
        """The steps the citizen may be at (cédula, second factor, code, case offer...)."""
        return self._steps

    async def _cedula(self, ctx: FlowContext, state: PaymentState, answer: Answer) -> Outcome:
        cedula = parse_cedula(answer.text)
        locked = await cedula_lock(ctx.session, cedula, ctx.now)
        if locked is not None:
            return _locked_outcome(ctx, locked.until, cedula)
        text = ctx.t(
            "Ahora escriba su fecha de nacimiento (día/mes/año, por ejemplo 14/03/1988) o "
            "el código dactilar que está al reverso de su cédula."
        )
        return Outcome([Reply(text)], step="asking_second_factor", state=PaymentState(cedula.value))

    async def _verify(self, ctx: FlowContext, state: PaymentState, answer: Answer) -> Outcome:
        cedula = parse_cedula(state.cedula)
        if _as_code(answer.text) is not None:  # a code that came by SMS after a restart
            return await self._code(ctx, state, answer)
        today = ctx.now.astimezone(ctx.settings.timezone).date()
        factor = parse_second_factor(answer.text, today)
        result = await verify(
            ctx.session,
            ctx.settings,
            channel=ctx.channel,
            address=ctx.address,
            cedula=cedula,
            factor=factor,
            now=ctx.now,
        )
        if isinstance(result, Locked):
            return _locked_outcome(ctx, result.until, cedula)
        if isinstance(result, NotVerified):
            return self._not_found(ctx, cedula, result)
        if isinstance(result, CodeSent):  # by SMS/WhatsApp from a phone not the registry's
            return _code_sent_outcome(ctx, result, cedula)
        if isinstance(result, CodeRefused):
            return await _code_refused_outcome(ctx, result, cedula)
        return await self._show(ctx, cedula, result)

    async def _show(self, ctx: FlowContext, cedula: Cedula, result: Verified) -> Outcome:
        replies = [await self._explain(ctx, cedula, record) for record in result.records]
        return Outcome(replies)

    async def _offering_case(
        self, ctx: FlowContext, state: PaymentState, answer: Answer
    ) -> Outcome:
        if answer.option == "caso":
            text = ctx.t("¿En qué parroquia o cantón vive? (por ejemplo: Tacamoros)")
            return Outcome([Reply(text)], step="asking_case_place", state=state)
        if answer.option == "codigo":
            return await self._send_code(ctx, parse_cedula(state.cedula))
        if answer.option == "no":
            return Outcome([Reply(ctx.t("De acuerdo. No guardamos su cédula."))])
        raise DomainError(N_("Elija una de las opciones, por favor."))

    async def _locked_choice(
        self, ctx: FlowContext, state: PaymentState, answer: Answer
    ) -> Outcome:
        if answer.option == "codigo":
            if state.cedula:
                return await self._send_code(ctx, parse_cedula(state.cedula))
            ask = ctx.t("Escriba su número de cédula (10 dígitos).")
            return Outcome([Reply(ask)], step="asking_code_cedula")
        if answer.option == "no":
            return Outcome([Reply(ctx.t("De acuerdo. No guardamos su cédula."))])
        if state.cedula and _as_code(answer.text) is not None:
            return await self._code(ctx, state, answer)
        raise DomainError(N_("Elija una de las opciones, por favor."))

    async def _code_cedula(self, ctx: FlowContext, state: PaymentState, answer: Answer) -> Outcome:
        return await self._send_code(ctx, parse_cedula(answer.text))

    async def _send_code(self, ctx: FlowContext, cedula: Cedula) -> Outcome:
        result = await send_code(
            ctx.session,
            ctx.settings,
            channel=ctx.channel,
            address=ctx.address,
            cedula=cedula,
            now=ctx.now,
        )
        if isinstance(result, CodeSent):
            return _code_sent_outcome(ctx, result, cedula)
        return await _code_refused_outcome(ctx, result, cedula)

    async def _code(self, ctx: FlowContext, state: PaymentState, answer: Answer) -> Outcome:
        cedula = parse_cedula(state.cedula)
        code = _as_code(answer.text)
        if code is None:
            raise DomainError(
                N_("Escriba el código de {digits} dígitos que le llegó por SMS."),
                digits=CODE_DIGITS,
            )
        result = await verify_code(
            ctx.session,
            channel=ctx.channel,
            address=ctx.address,
            cedula=cedula,
            code=code,
            now=ctx.now,
        )
        if isinstance(result, Verified):
            return await self._show(ctx, cedula, result)
        if isinstance(result, CodeWrong) and result.attempts_left > 0:
            text = "\n".join(
                [
                    ctx.t("Ese código no es correcto."),
                    ctx.tr.tn(
                        "Le queda {n} intento con este código.",
                        "Le quedan {n} intentos con este código.",
                        result.attempts_left,
                    ),
                ]
            )
            return Outcome([Reply(text)], step="asking_code", state=PaymentState(cedula.value))
        text = ctx.t("Ese código ya no sirve: venció o se usaron sus intentos. Puede pedir otro.")
        options = (
            Option("codigo", ctx.t("Recibir un código por SMS")),
            Option("no", ctx.t("Volver al menú")),
        )
        return Outcome([Reply(text, options)], step="locked", state=PaymentState(cedula.value))

    def _not_found(self, ctx: FlowContext, cedula: Cedula, result: NotVerified) -> Outcome:
        lines = [
            ctx.t("No encontré un registro de pago que coincida con esos dos datos."),
            ctx.t("Puede deberse a:"),
            "• " + ctx.t("un error al escribir la cédula, la fecha o el código dactilar;"),
            "• "
            + ctx.t(
                "que su hogar no esté en el Registro Social o sus datos estén desactualizados;"
            ),
            "• " + ctx.t("que todavía no haya sido seleccionado para un bono o pensión."),
        ]
        options: tuple[Option, ...] = ()
        if result.locked_until is not None:
            lines.append(_locked_text(ctx, result.locked_until))
            if result.cedula_locked:
                lines.append(_code_offer_text(ctx))
                options += (Option("codigo", ctx.t("Recibir un código por SMS")),)
        elif result.attempts_left:
            lines.append(
                ctx.tr.tn(
                    "Le queda {n} intento antes de un bloqueo temporal.",
                    "Le quedan {n} intentos antes de un bloqueo temporal.",
                    result.attempts_left,
                )
            )
            if result.attempts_left == 1:
                lines.append(
                    ctx.t(
                        "Si el próximo también falla, la consulta de esta cédula se bloqueará "
                        "en todos los chats. Revise bien el dato antes de escribirlo."
                    )
                )
        lines.append(
            ctx.t(
                "Puedo abrir un caso para que su dirección distrital verifique su situación. "
                "Para eso guardaremos su cédula en el caso."
            )
        )
        options += (
            Option("caso", ctx.t("Abrir un caso de verificación")),
            Option("no", ctx.t("No, gracias")),
        )
        return Outcome(
            [Reply("\n".join(lines), options)],
            step="offering_case",
            state=PaymentState(cedula.value),
        )

    async def _case_place(self, ctx: FlowContext, state: PaymentState, answer: Answer) -> Outcome:
        territory = ctx.services.territory
        place = None
        if answer.option and answer.option.startswith("place:"):
            place = territory.get(answer.option.removeprefix("place:"))
        if place is None:
            match = territory.find(answer.text)
            if len(match.places) == 1:
                place = match.places[0]
            else:
                candidates = match.places or match.suggestions
                if not candidates:
                    raise DomainError(
                        N_("No encontré ese lugar. Escriba el nombre de su parroquia o cantón.")
                    )
                options = tuple(Option(f"place:{p.code}", p.label) for p in candidates)
                text = ctx.t("¿Cuál de estos lugares es el suyo?")
                return Outcome([Reply(text, options)], step="asking_case_place", state=state)
        cedula = parse_cedula(state.cedula)
        office = territory.office_for(place)
        case = await open_citizen_case(
            ctx.session,
            actor=f"{ctx.channel}:{ctx.address}",
            audit_action="case_opened",
            audit_outcome="verificacion",
            kind="verificacion",
            now=ctx.now,
            district_code=office.code if office else place.district_code,
            parish_code=place.parish_code,
            description=(
                f"Consulta de pago por {ctx.channel}: ningún registro coincide con la cédula "
                "y el segundo dato. Verificar si la persona debe recibir un bono o pensión."
            ),
            cedula=cedula.value,
            reporter_contact_id=ctx.contact.id,
            reporter_consent=True,
        )
        lines = [
            ctx.t("Listo. Abrimos el caso {number}. Guarde este número.", number=case.number),
            who_reviews(ctx, office, case.due_on),
        ]
        return Outcome([Reply("\n".join(lines))])

    async def _explain(self, ctx: FlowContext, cedula: Cedula, record: Beneficiary) -> Reply:
        info = explain(record.status, record.reason_code)
        first_name = record.names.split(" ")[0]
        lines = [
            ctx.t(
                "{name}, su {programme}:",
                name=first_name,
                programme=ctx.t(programme_name(record.programme)),
            ),
            ctx.t(info.title),
            ctx.t(info.explanation),
        ]
        if info.reason:
            lines.append(ctx.t("Motivo: {reason}", reason=ctx.t(info.reason)))
        if info.condition:
            lines.append(
                ctx.t("Condición que falta cumplir: {condition}.", condition=ctx.t(info.condition))
            )
        lines.append(ctx.t("Qué hacer:"))
        lines += [f"{n}. {ctx.t(step)}" for n, step in enumerate(info.steps, start=1)]
        if info.unconfirmed:
            lines.append(
                ctx.t(
                    "Ojo: esto no está confirmado por una fuente pública. Confírmelo en su "
                    "dirección distrital."
                )
            )
        if info.status in (PaymentStatus.ACTIVE, PaymentStatus.RESCHEDULED):
            if record.amount is not None:
                lines.append(ctx.t("Monto mensual: {amount}.", amount=ctx.tr.money(record.amount)))
            if record.next_payment_date is not None:
                lines.append(
                    ctx.t(
                        "Próximo pago según el registro: {date}.",
                        date=ctx.tr.date(record.next_payment_date, "long"),
                    )
                )
            lines += _collection_days(ctx, cedula)
            if record.collection_point:
                lines.append(ctx.t("Lugar de cobro: {place}.", place=record.collection_point))
        if record.last_payment_date is not None:
            lines.append(
                ctx.t(
                    "Último pago registrado: {date}.",
                    date=ctx.tr.date(record.last_payment_date, "long"),
                )
            )
        if info.status is PaymentStatus.SUSPENDED and record.parish_code:
            lines.append(await self._next_session(ctx, record.parish_code))
        lines.append(self._office(ctx, record.parish_code))
        # For SMS: who, the status, why and what to do; the rest is on Telegram or at the office.
        brief = [lines[0], ctx.t(info.title)]
        if info.reason:
            brief.append(ctx.t("Motivo: {reason}", reason=ctx.t(info.reason)))
        brief.append(ctx.t("Qué hacer:"))
        brief += [f"{n}. {ctx.t(step)}" for n, step in enumerate(info.steps, start=1)]
        brief.append(ctx.t("Línea gratuita: {phone}.", phone=ctx.settings.call_centre))
        return Reply("\n".join(lines), brief="\n".join(brief))

    async def _next_session(self, ctx: FlowContext, parish_code: str) -> str:
        events = await upcoming_events(
            ctx.session, parish_code, ctx.now, kind="sensibilizacion", limit=1
        )
        if not events:
            return ctx.t(
                "Por ahora no hay una sesión de sensibilización programada en su parroquia; "
                "pregunte en su dirección distrital."
            )
        event = events[0]
        place = ctx.services.territory.get(parish_code)
        tz = ZoneInfo(place.timezone) if place else ctx.settings.timezone
        return ctx.t(
            "Próxima sesión de sensibilización en su parroquia: {title}, {when}, en {where}.",
            title=event.title,
            when=ctx.tr.datetime(event.starts_at.astimezone(tz)),
            where=event.place,
        )

    def _office(self, ctx: FlowContext, parish_code: str | None) -> str:
        territory = ctx.services.territory
        place = territory.get(parish_code) if parish_code else None
        office = territory.office_for(place) if place else None
        if office is None:
            return ctx.t("Línea gratuita: {phone}.", phone=ctx.settings.call_centre)
        text = ctx.t(
            "Su oficina: Dirección Distrital {code} – {name}. Línea gratuita: {phone}.",
            code=office.code,
            name=office.name,
            phone=ctx.settings.call_centre,
        )
        if office.address:
            text += "\n" + ctx.t("Dirección: {address}", address=office.address)
        return text


def _collection_days(ctx: FlowContext, cedula: Cedula) -> list[str]:
    """The month's calendar first; the base rule by the cédula's last digit only as a guide."""
    said = load_texts().collection_days
    days = ", ".join(str(d) for d in collection_days(cedula.last_digit))
    return [
        *(ctx.t(line) for line in said.calendar),
        ctx.t(said.orientation, digit=cedula.last_digit, days=days),
        ctx.t(said.may_change),
        ctx.t(said.ask, phone=ctx.settings.call_centre),
    ]


def _as_code(text: str) -> str | None:
    """The one-time code in what the citizen typed («123 456», full-width digits…), if any."""
    code = "".join(ascii_digits(text).split()).replace("-", "")
    return code if code.isascii() and code.isdigit() and len(code) == CODE_DIGITS else None


def _local(ctx: FlowContext, moment: datetime) -> str:
    """A moment in the citizen's local time, rounded up to the minute (never too early)."""
    if moment.second or moment.microsecond:
        moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return ctx.tr.datetime(moment.astimezone(ctx.settings.timezone))


def _locked_text(ctx: FlowContext, until: datetime) -> str:
    return ctx.t(
        "Por seguridad, después de varios intentos fallidos la consulta quedó bloqueada hasta "
        "el {when}. Desde entonces puede intentarlo de nuevo.",
        when=_local(ctx, until),
    )


def _code_offer_text(ctx: FlowContext) -> str:
    return ctx.t(
        "Si la cédula es suya, puedo enviarle ahora un código por SMS al celular que el "
        "registro tiene para ella, y con ese código ve su pago. También puede acercarse a su "
        "dirección distrital con su cédula o llamar gratis al {phone}.",
        phone=ctx.settings.call_centre,
    )


def _locked_outcome(ctx: FlowContext, until: datetime, cedula: Cedula | None) -> Outcome:
    """The lock explained, with the owner's ways in; the flow waits for her choice."""
    text = _locked_text(ctx, until) + "\n" + _code_offer_text(ctx)
    options = (
        Option("codigo", ctx.t("Recibir un código por SMS")),
        Option("no", ctx.t("Volver al menú")),
    )
    state = PaymentState(cedula.value) if cedula is not None else PaymentState()
    return Outcome([Reply(text, options)], step="locked", state=state)


def _code_sent_outcome(ctx: FlowContext, sent: CodeSent, cedula: Cedula) -> Outcome:
    lines = []
    if sent.because == "other_phone":
        lines.append(
            ctx.t(
                "Para cuidar sus datos, por mensaje de texto solo muestro el pago en el celular "
                "que el registro tiene para su cédula, o con un código enviado a ese celular."
            )
        )
    lines += [
        ctx.t(
            "Si el registro tiene un celular para esta cédula, le enviamos un SMS con un código "
            "de {digits} dígitos. Escríbalo aquí; vale hasta el {when}.",
            digits=CODE_DIGITS,
            when=_local(ctx, sent.expires_at),
        )
    ]
    if sent.sends_from > ctx.now:
        lines.append(
            ctx.t(
                "De noche no enviamos SMS: le llegará desde el {when}.",
                when=_local(ctx, sent.sends_from),
            )
        )
    lines.append(
        ctx.t(
            "Si esta conversación se cierra antes, escriba /pago y su cédula, y luego el código. "
            "Si no le llega, acérquese a su dirección distrital con su cédula o llame gratis al "
            "{phone}.",
            phone=ctx.settings.call_centre,
        )
    )
    return Outcome([Reply("\n".join(lines))], step="asking_code", state=PaymentState(cedula.value))


async def _code_refused_outcome(ctx: FlowContext, refused: CodeRefused, cedula: Cedula) -> Outcome:
    if refused.reason == "too_many":
        text = ctx.t(
            "Ya enviamos varios códigos hoy. Podrá pedir otro desde el {when}; también puede "
            "acercarse a su dirección distrital con su cédula o llamar gratis al {phone}.",
            when=_local(ctx, refused.retry_at or ctx.now),
            phone=ctx.settings.call_centre,
        )
        return Outcome([Reply(text)])
    locked = await chat_lock(ctx.session, ctx.channel, ctx.address, ctx.now)
    if locked is not None:
        text = ctx.t(
            "Esa cédula no está bloqueada, pero esta conversación sí, hasta el {when}. Desde "
            "entonces puede consultar con su fecha de nacimiento o su código dactilar.",
            when=_local(ctx, locked.until),
        )
        return Outcome([Reply(text)])
    text = ctx.t(
        "Esa cédula no está bloqueada. Escriba su fecha de nacimiento (día/mes/año) o el código "
        "dactilar que está al reverso de su cédula."
    )
    return Outcome([Reply(text)], step="asking_second_factor", state=PaymentState(cedula.value))
