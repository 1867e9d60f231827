"""«Eventos en mi parroquia»: what is coming (brigadas, diálogos, sensibilización) and reminders.

The citizen names their parish (typos tolerated, nearest names offered as buttons) and reads the
upcoming events with dates in the parish's own time zone (Galápagos is an hour behind). They may
then ask for reminders by Telegram (this chat) and/or by SMS (a validated Ecuadorian mobile),
always after an explicit consent that is recorded, and stop them at any time, here or with
/baja_eventos. Starting or stopping reminders is one call to bot/services/event_reminders.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from bot.domain.errors import N_, DomainError
from bot.domain.event_kinds import EVENT_KIND_LABELS as KIND_LABELS
from bot.domain.identity import parse_phone
from bot.flows.base import (
    Answer,
    FlowContext,
    NoState,
    Opening,
    Option,
    Outcome,
    Reply,
    StepHandler,
)
from bot.flows.parish_choice import ASKING_PARISH, parish_question, parish_step
from bot.services import subscriptions
from bot.services.event_reminders import start_event_reminders, stop_event_reminders
from bot.services.events import upcoming_events
from bot.services.subscriptions import (
    CHANNEL_SMS,
    CHANNEL_TELEGRAM,
    CHANNEL_WHATSAPP,
    SubscriptionView,
    mask_phone,
)
from bot.services.territory import Place
from bot.storage.models import Event

MAX_LISTED = 5

SUB_TELEGRAM = "sub_telegram"
SUB_SMS = "sub_sms"
SUB_WHATSAPP = "sub_whatsapp"
UNSUBSCRIBE = "unsubscribe"
DONE = "done"
ACCEPT = "accept"
DECLINE = "decline"
USE_KNOWN_PHONE = "known_phone"
ALL = "all"


class ForeignPhone(DomainError):
    """An SMS reminder asked for a number outside Ecuador."""


@dataclass(frozen=True)
class EventsState:
    """The parish chosen and, while subscribing, the channel and phone being consented to."""

    parish: str = ""
    parish_label: str = ""
    parish_name: str = ""
    timezone: str = ""
    channel: str = ""
    phone: str = ""


class EventsFlow:
    """Lists a parish's upcoming events and manages reminder subscriptions."""

    name = "eventos"
    in_menu = True
    commands = ("/eventos",)
    keywords = (
        "eventos",
        "evento",
        "brigada",
        "brigadas",
        "cuando viene",
        "cuando vienen",
        "reunion",
        "dialogo",
        "sensibilizacion",
        "charla",
        "feria",
        "recordatorio",
    )

    state_type = EventsState

    def title(self, ctx: FlowContext) -> str:
        """Menu label."""
        return ctx.t("Eventos en mi parroquia")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Asks for the parish, or answers at once for «/eventos Tacamoros»."""
        if opening.args:
            return await self._asking_parish(ctx, EventsState(), Answer(opening.args))
        intro = ctx.t(
            "Le muestro los próximos eventos del {ministry} en su parroquia.",
            ministry=ctx.settings.ministry_name,
        )
        return Outcome([parish_question(ctx, intro)], step=ASKING_PARISH)

    def steps(self) -> Mapping[str, StepHandler[EventsState]]:
        """Parish → events → reminders (channel, phone, consent) or unsubscribe."""
        return {
            ASKING_PARISH: self._asking_parish,
            "choosing_reminders": self._with_parish(self._choose),
            "asking_phone": self._with_parish(self._phone),
            "confirming_consent": self._with_parish(self._consent),
        }

    def _with_parish(self, handler: StepHandler[EventsState]) -> StepHandler[EventsState]:
        """A step after the parish: without one (a damaged state) the parish is asked again."""

        async def step(ctx: FlowContext, state: EventsState, answer: Answer) -> Outcome:
            if not state.parish:
                return await self.start(ctx, Opening())
            return await handler(ctx, state, answer)

        return step

    async def _asking_parish(self, ctx: FlowContext, state: EventsState, answer: Answer) -> Outcome:
        async def chosen(place: Place) -> Outcome:
            return await self._list(
                ctx,
                EventsState(
                    parish=place.code,
                    parish_label=place.label,
                    parish_name=place.name,
                    timezone=place.timezone,
                ),
            )

        return await parish_step(ctx, state, answer, chosen, self.name)

    # --- listing -------------------------------------------------------------------------------

    async def _list(self, ctx: FlowContext, state: EventsState) -> Outcome:
        parish = state.parish
        events = await upcoming_events(ctx.session, parish, ctx.now, limit=MAX_LISTED)
        if events:
            lines = [ctx.t("Próximos eventos en {parish}:", parish=state.parish_label)]
            lines.extend(self._event_line(ctx, state, event) for event in events)
        else:
            lines = [
                ctx.t(
                    "Por ahora no hay eventos programados en {parish}. Puede pedir que le "
                    "avisemos cuando se programe uno.",
                    parish=state.parish_label,
                )
            ]
        lines.append(ctx.t("¿Quiere que le recordemos los eventos de su parroquia?"))
        reply = Reply("\n\n".join(lines), await self._reminder_options(ctx, parish))
        return Outcome([reply], step="choosing_reminders", state=state)

    def _event_line(self, ctx: FlowContext, state: EventsState, event: Event) -> str:
        zone = ZoneInfo(state.timezone or ctx.settings.default_timezone)
        kind = KIND_LABELS.get(event.kind)
        when = ctx.tr.datetime(event.starts_at.astimezone(zone))
        head = f"• {ctx.t(kind)}: {event.title}" if kind else f"• {event.title}"
        return "\n".join([head, ctx.t("  {when}, en {place}", when=when, place=event.place)])

    async def _reminder_options(self, ctx: FlowContext, parish: str) -> tuple[Option, ...]:
        current = await subscriptions.subscriptions_of(ctx.session, ctx.contact, parish_code=parish)
        channels = {s.channel for s in current}
        options: list[Option] = []
        if ctx.channel == CHANNEL_TELEGRAM and CHANNEL_TELEGRAM not in channels:
            options.append(Option(SUB_TELEGRAM, ctx.t("Avisarme por Telegram")))
        if ctx.channel == CHANNEL_WHATSAPP and CHANNEL_WHATSAPP not in channels:
            options.append(Option(SUB_WHATSAPP, ctx.t("Avisarme por WhatsApp")))
        if CHANNEL_SMS not in channels:
            options.append(Option(SUB_SMS, ctx.t("Avisarme por SMS")))
        if current:
            options.append(Option(UNSUBSCRIBE, ctx.t("Dejar de recibir recordatorios")))
        options.append(Option(DONE, ctx.t("Volver al menú")))
        return tuple(options)

    # --- choosing a channel --------------------------------------------------------------------

    async def _choose(self, ctx: FlowContext, state: EventsState, answer: Answer) -> Outcome:
        parish = state.parish
        if answer.option == SUB_TELEGRAM and ctx.channel == CHANNEL_TELEGRAM:
            return self._ask_consent(ctx, replace(state, channel=CHANNEL_TELEGRAM))
        if answer.option == SUB_WHATSAPP and ctx.channel == CHANNEL_WHATSAPP:
            return self._ask_consent(ctx, replace(state, channel=CHANNEL_WHATSAPP))
        if answer.option == SUB_SMS:
            if ctx.channel == CHANNEL_SMS:
                return self._ask_consent(
                    ctx, replace(state, channel=CHANNEL_SMS, phone=ctx.address)
                )
            return self._ask_phone(ctx, state)
        if answer.option == UNSUBSCRIBE:
            await stop_event_reminders(
                ctx.session, ctx.contact, parish_code=parish, actor=_actor(ctx), now=ctx.now
            )
            return Outcome(
                [
                    Reply(
                        ctx.t(
                            "Listo, ya no le enviaremos recordatorios de eventos de {parish}.",
                            parish=state.parish_label,
                        )
                    )
                ]
            )
        if answer.option == DONE:
            return Outcome([])
        options = await self._reminder_options(ctx, parish)
        text = ctx.t("Elija una de las opciones, por favor.")
        return Outcome([Reply(text, options)], step="choosing_reminders", state=state)

    def _ask_phone(self, ctx: FlowContext, state: EventsState) -> Outcome:
        text = ctx.t(
            "Escriba el número de celular donde quiere recibir los SMS (10 dígitos, empieza "
            "con 09). Para no seguir, escriba «cancelar»."
        )
        options: tuple[Option, ...] = ()
        if ctx.contact.phone:
            label = ctx.t("Usar {phone}", phone=mask_phone(ctx.contact.phone))
            options = (Option(USE_KNOWN_PHONE, label),)
        return Outcome([Reply(text, options)], step="asking_phone", state=state)

    async def _phone(self, ctx: FlowContext, state: EventsState, answer: Answer) -> Outcome:
        if answer.option == USE_KNOWN_PHONE and ctx.contact.phone:
            e164 = ctx.contact.phone
        else:
            e164 = parse_phone(answer.text, require_mobile=True).e164
            if not e164.startswith("+593"):
                raise ForeignPhone(
                    N_(
                        "Solo podemos enviar SMS a celulares de Ecuador. Escriba un número "
                        "que empiece con 09."
                    )
                )
        if await subscriptions.is_opted_out(ctx.session, e164):
            return Outcome(
                [
                    Reply(
                        ctx.t(
                            "El celular {phone} pidió no recibir SMS (BAJA). Para volver a "
                            "recibirlos, responda ALTA a un SMS del {ministry} desde ese celular "
                            "y luego suscríbase aquí.",
                            phone=mask_phone(e164),
                            ministry=ctx.settings.ministry_name,
                        )
                    )
                ]
            )
        return self._ask_consent(ctx, replace(state, channel=CHANNEL_SMS, phone=e164))

    # --- consent and subscription --------------------------------------------------------------

    def _ask_consent(self, ctx: FlowContext, state: EventsState) -> Outcome:
        if state.channel == CHANNEL_SMS:
            text = ctx.t(
                "Para enviarle recordatorios por SMS al {phone} guardaremos ese número y su "
                "parroquia ({parish}), solo para este fin. Puede darse de baja cuando quiera con "
                "/baja_eventos o respondiendo BAJA a un SMS. ¿Acepta?",
                phone=mask_phone(state.phone),
                parish=state.parish_name,
            )
        else:
            text = ctx.t(
                "Para enviarle recordatorios por este chat guardaremos su parroquia ({parish}), "
                "solo para este fin. Puede darse de baja cuando quiera con /baja_eventos. "
                "¿Acepta?",
                parish=state.parish_name,
            )
        options = (Option(ACCEPT, ctx.t("Sí, acepto")), Option(DECLINE, ctx.t("No, gracias")))
        return Outcome([Reply(text, options)], step="confirming_consent", state=state)

    async def _consent(self, ctx: FlowContext, state: EventsState, answer: Answer) -> Outcome:
        if answer.option == DECLINE:
            return Outcome(
                [Reply(ctx.t("Entendido, no guardamos nada. Puede consultar los eventos aquí."))]
            )
        if answer.option != ACCEPT:
            return self._ask_consent(ctx, state)
        channel = state.channel
        address = state.phone if channel == CHANNEL_SMS else ctx.address
        # Tells the phone's owner about the subscription, so a mistyped number can say BAJA.
        confirmation = ctx.t(
            "{ministry}: este celular recibirá recordatorios de eventos de {parish}. "
            "Responda BAJA para no recibir más.",
            ministry=ctx.settings.ministry_name,
            parish=state.parish_name,
        )
        await start_event_reminders(
            ctx.session,
            ctx.contact,
            parish_code=state.parish,
            channel=channel,
            address=address,
            actor=_actor(ctx),
            now=ctx.now,
            sms_confirmation=confirmation,
        )
        if channel == CHANNEL_SMS:
            text = ctx.t(
                "Listo: le recordaremos por SMS al {phone} los eventos de {parish}. Le enviamos "
                "un SMS de confirmación.",
                phone=mask_phone(address),
                parish=state.parish_label,
            )
        else:
            text = ctx.t(
                "Listo: le recordaremos por este chat los eventos de {parish}.",
                parish=state.parish_label,
            )
        return Outcome([Reply(text)])


def _actor(ctx: FlowContext) -> str:
    """The audit actor of the citizen writing: channel and address (pseudonymised by audit)."""
    return f"{ctx.channel}:{ctx.address}"


class UnsubscribeEventsFlow:
    """/baja_eventos: stops event reminders for one parish and channel, or all of them."""

    name = "baja_eventos"
    in_menu = False
    commands = ("/baja_eventos",)
    keywords = (
        "baja eventos",
        "no quiero recordatorios",
        "no mas recordatorios",
        "dejar de recibir recordatorios",
        "cancelar recordatorios",
    )
    state_type = NoState

    def title(self, ctx: FlowContext) -> str:
        """Label (not in the menu)."""
        return ctx.t("Dejar de recibir recordatorios de eventos")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Removes the only subscription at once, or asks which one when there are several."""
        current = await subscriptions.subscriptions_of(ctx.session, ctx.contact)
        if not current:
            return Outcome([Reply(ctx.t("No tiene recordatorios de eventos activos."))])
        if len(current) == 1:
            return await self._remove(ctx, current)
        options = [Option(f"{s.parish_code}:{s.channel}", self._label(ctx, s)) for s in current]
        options.append(Option(ALL, ctx.t("Todos")))
        text = ctx.t("¿Qué recordatorios quiere dejar de recibir?")
        return Outcome([Reply(text, tuple(options))], step="choosing_subscription")

    def steps(self) -> Mapping[str, StepHandler[NoState]]:
        """One step: choosing the subscription to stop."""
        return {"choosing_subscription": self._choosing_subscription}

    async def _choosing_subscription(
        self, ctx: FlowContext, state: NoState, answer: Answer
    ) -> Outcome:
        """Removes the chosen subscription (or all); anything else asks again."""
        current = await subscriptions.subscriptions_of(ctx.session, ctx.contact)
        if answer.option == ALL:
            return await self._remove(ctx, current)
        chosen = [s for s in current if f"{s.parish_code}:{s.channel}" == answer.option]
        if chosen:
            return await self._remove(ctx, chosen)
        return await self.start(ctx, Opening())

    async def _remove(self, ctx: FlowContext, chosen: list[SubscriptionView]) -> Outcome:
        for sub in chosen:
            await stop_event_reminders(
                ctx.session,
                ctx.contact,
                parish_code=sub.parish_code,
                channel=sub.channel,
                actor=_actor(ctx),
                now=ctx.now,
            )
        lines = [ctx.t("Listo, ya no le enviaremos estos recordatorios:")]
        lines.extend(f"• {self._label(ctx, s)}" for s in chosen)
        return Outcome([Reply("\n".join(lines))])

    def _label(self, ctx: FlowContext, sub: SubscriptionView) -> str:
        place = ctx.services.territory.get(sub.parish_code)
        parish = place.name if place else sub.parish_code
        if sub.channel == CHANNEL_SMS:
            return ctx.t("{parish}, SMS al {phone}", parish=parish, phone=mask_phone(sub.address))
        if sub.channel == CHANNEL_WHATSAPP:
            return ctx.t("{parish}, por WhatsApp", parish=parish)
        return ctx.t("{parish}, por Telegram", parish=parish)
