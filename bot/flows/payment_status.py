"""«¿Por qué no me llegó el pago?»: cédula + second factor, then the status explained.

Personal data is shown only after verification (bot/services/verification.py). With no
matching record the citizen may open a verification case for the district.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.errors import N_, DomainError, VerificationLocked
from bot.domain.identity import Cedula, parse_cedula
from bot.domain.payment_status import collection_days, explain
from bot.domain.programmes import programme_name
from bot.domain.registry import PaymentStatus
from bot.domain.second_factor import parse_second_factor
from bot.flows.base import Answer, FlowContext, Option, Outcome, Reply
from bot.flows.left_out import who_reviews
from bot.services import audit
from bot.services.cases import open_case
from bot.services.events import upcoming_events
from bot.services.verification import NotVerified, ensure_chat_not_locked, verify
from bot.storage.models import Beneficiary


class PaymentStatusFlow:
    """Verifies the citizen and explains why a payment did or did not arrive."""

    name = "pago"
    in_menu = True
    commands = ("/pago", "/mi_pago")
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
    )

    def title(self, ctx: FlowContext) -> str:
        """Menu label."""
        return ctx.t("¿Por qué no me llegó el pago?")

    async def start(self, ctx: FlowContext, data: dict[str, Any]) -> Outcome:
        """Explains why identity is needed and asks the cédula (unless the chat is locked)."""
        try:
            await ensure_chat_not_locked(
                ctx.session, ctx.settings, ctx.channel, ctx.address, ctx.now
            )
        except VerificationLocked as locked:
            return Outcome([Reply(ctx.t(locked.template, **locked.params))])
        intro = ctx.t(
            "Para ver su pago necesito confirmar su identidad con dos datos. Solo los uso para "
            "esta consulta y no los guardo."
        )
        ask = ctx.t("Escriba su número de cédula (10 dígitos).")
        return Outcome([Reply(intro), Reply(ask)], step="asking_cedula")

    async def step(
        self, ctx: FlowContext, step: str, data: dict[str, Any], answer: Answer
    ) -> Outcome:
        """Handles the cédula, the second factor and the verification-case offer."""
        if step == "asking_cedula":
            cedula = parse_cedula(answer.text)
            text = ctx.t(
                "Ahora escriba su fecha de nacimiento (día/mes/año, por ejemplo 14/03/1988) o "
                "el código dactilar que está al reverso de su cédula."
            )
            return Outcome(
                [Reply(text)], step="asking_second_factor", data={"cedula": cedula.value}
            )
        if step == "asking_second_factor":
            return await self._verify(ctx, data, answer)
        if step == "offering_case":
            if answer.option == "caso":
                text = ctx.t("¿En qué parroquia o cantón vive? (por ejemplo: Tacamoros)")
                return Outcome([Reply(text)], step="asking_case_place", data=data)
            if answer.option == "no":
                return Outcome([Reply(ctx.t("De acuerdo. No guardamos su cédula."))])
            raise DomainError(N_("Elija una de las opciones, por favor."))
        if step == "asking_case_place":
            return await self._case_place(ctx, data, answer)
        return await self.start(ctx, {})

    async def _verify(self, ctx: FlowContext, data: dict[str, Any], answer: Answer) -> Outcome:
        cedula = parse_cedula(str(data.get("cedula", "")))
        today = ctx.now.astimezone(ctx.settings.timezone).date()
        factor = parse_second_factor(answer.text, today)
        try:
            result = await verify(
                ctx.session,
                ctx.settings,
                channel=ctx.channel,
                address=ctx.address,
                cedula=cedula,
                factor=factor,
                now=ctx.now,
            )
        except VerificationLocked as locked:
            return Outcome([Reply(ctx.t(locked.template, **locked.params))])
        if isinstance(result, NotVerified):
            return self._not_found(ctx, cedula, result)
        replies = [await self._explain(ctx, cedula, record) for record in result.records]
        return Outcome(replies)

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
        if result.attempts_left:
            lines.append(
                ctx.t(
                    "Le quedan {n} intentos antes de un bloqueo temporal.", n=result.attempts_left
                )
            )
        lines.append(
            ctx.t(
                "Puedo abrir un caso para que su dirección distrital verifique su situación. "
                "Para eso guardaremos su cédula en el caso."
            )
        )
        options = (
            Option("caso", ctx.t("Abrir un caso de verificación")),
            Option("no", ctx.t("No, gracias")),
        )
        return Outcome(
            [Reply("\n".join(lines), options)], step="offering_case", data={"cedula": cedula.value}
        )

    async def _case_place(self, ctx: FlowContext, data: dict[str, Any], answer: Answer) -> Outcome:
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
                return Outcome([Reply(text, options)], step="asking_case_place", data=data)
        cedula = parse_cedula(str(data.get("cedula", "")))
        office = territory.office_for(place)
        case = await open_case(
            ctx.session,
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
        await audit.record(
            ctx.session,
            at=ctx.now,
            actor_kind="citizen",
            actor=f"{ctx.channel}:{ctx.address}",
            action="case_opened",
            target=case.number,
            outcome="verificacion",
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
        lines.append(ctx.t("Qué hacer: {todo}", todo=ctx.t(info.what_to_do)))
        if info.status in (PaymentStatus.ACTIVE, PaymentStatus.RESCHEDULED):
            if record.amount is not None:
                lines.append(ctx.t("Monto mensual: {amount}.", amount=ctx.tr.money(record.amount)))
            if record.next_payment_date is not None:
                lines.append(
                    ctx.t(
                        "Próximo pago: {date}.", date=ctx.tr.date(record.next_payment_date, "long")
                    )
                )
            days = ", ".join(str(d) for d in collection_days(cedula.last_digit))
            lines.append(
                ctx.t(
                    "Días de cobro en ventanilla (su cédula termina en {digit}): "
                    "{days} de cada mes.",
                    digit=cedula.last_digit,
                    days=days,
                )
            )
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
        return Reply("\n".join(lines))

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
