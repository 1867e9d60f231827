"""«/evento»: staff announce a parish event (type, parish, date and time, place, reminders)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.errors import N_, DomainError
from bot.domain.event_kinds import EVENT_KIND_LABELS
from bot.domain.event_schedule import (
    DEFAULT_OFFSETS_MINUTES,
    kind_from_text,
    offset_label,
    parse_event_start,
    parse_offsets,
)
from bot.flows.base import Answer, FlowContext, Opening, Option, Outcome, Reply, StepHandler
from bot.flows.staff.access import current_scope, require_role
from bot.services.authz import Action
from bot.services.events import (
    MAX_PLACE_CHARS,
    authorize_parish,
    schedule_event,
)
from bot.services.territory import Place

_OFFSET_TEMPLATES = {
    ("days", True): N_("{n} día antes"),
    ("days", False): N_("{n} días antes"),
    ("hours", True): N_("{n} hora antes"),
    ("hours", False): N_("{n} horas antes"),
    ("minutes", True): N_("{n} minuto antes"),
    ("minutes", False): N_("{n} minutos antes"),
}


class UnknownParish(DomainError):
    """The typed parish matches nothing, or a stale parish key."""


@dataclass(frozen=True)
class EventDraft:
    """The event being programmed, field by field, until it is confirmed."""

    kind: str = ""
    parish_code: str = ""
    parish_label: str = ""
    starts_at: datetime | None = None
    place: str = ""
    description: str = ""
    offsets: tuple[int, ...] = ()


def _when(draft: EventDraft) -> datetime:
    """The event's start; a draft reaches the summary only once it was asked."""
    if draft.starts_at is None:
        raise ValueError("the event draft has no start yet")
    return draft.starts_at


def offsets_text(ctx: FlowContext, offsets: list[int] | tuple[int, ...]) -> str:
    """'7 días antes, 1 día antes' in the reader's language."""
    labels = []
    for minutes in offsets:
        unit, n = offset_label(minutes)
        labels.append(ctx.t(_OFFSET_TEMPLATES[(unit, n == 1)], n=n))
    return ", ".join(labels)


class StaffEventFlow:
    """Guides staff through an event and stores it; the scheduler then announces it."""

    name = "staff_evento"
    in_menu = False
    commands = ("/evento",)
    keywords: tuple[str, ...] = ()
    state_type = EventDraft

    def title(self, ctx: FlowContext) -> str:
        """Label (not in the menu)."""
        return ctx.t("Programar un evento")

    async def start(self, ctx: FlowContext, opening: Opening) -> Outcome:
        """Checks the role, then asks the kind of event («/evento feria» skips the question)."""
        await require_role(ctx, Action.CREATE_EVENT)
        kind = kind_from_text(opening.args)
        if kind is not None:
            return self._ask_parish(ctx, EventDraft(kind=kind))
        options = tuple(Option(k, ctx.t(label)) for k, label in EVENT_KIND_LABELS.items())
        return Outcome(
            [Reply(ctx.t("¿Qué tipo de evento quiere programar?"), options)],
            step="choosing_kind",
        )

    def steps(self) -> Mapping[str, StepHandler[EventDraft]]:
        """Runs one step of the event conversation."""
        return {
            "choosing_kind": self._choosing_kind,
            "choosing_parish": self._choosing_parish,
            "asking_start": self._asking_start,
            "asking_place": self._asking_place,
            "asking_description": self._asking_description,
            "choosing_reminders": self._choosing_reminders,
            "confirming": self._confirming,
        }

    def _ask_parish(self, ctx: FlowContext, state: EventDraft) -> Outcome:
        return Outcome(
            [Reply(ctx.t("¿En qué parroquia? Escriba su nombre (p. ej. Tacamoros)."))],
            step="choosing_parish",
            state=state,
        )

    async def _choosing_kind(self, ctx: FlowContext, state: EventDraft, answer: Answer) -> Outcome:
        kind = answer.option if answer.option in EVENT_KIND_LABELS else kind_from_text(answer.text)
        if kind is None:
            return await self.start(ctx, Opening())
        return self._ask_parish(ctx, replace(state, kind=kind))

    def _place(self, ctx: FlowContext, code: str) -> Place:
        place = ctx.services.territory.get(code)
        if place is None or place.kind != "parish":
            raise UnknownParish(N_("No existe la parroquia {code}."), code=code)
        return place

    async def _choosing_parish(
        self, ctx: FlowContext, state: EventDraft, answer: Answer
    ) -> Outcome:
        if answer.option and answer.option.startswith("parish:"):
            place = self._place(ctx, answer.option.removeprefix("parish:"))
        else:
            found = ctx.services.territory.find(answer.text, kinds=("parish",))
            if len(found.places) != 1:
                candidates = found.places or found.suggestions
                if not candidates:
                    raise UnknownParish(
                        N_("No encontré esa parroquia. Revise el nombre y escríbalo otra vez.")
                    )
                options = tuple(Option(f"parish:{p.code}", p.label) for p in candidates)
                question = (
                    ctx.t("Hay varias parroquias con ese nombre. ¿Cuál?")
                    if found.places
                    else ctx.t("No la encontré exactamente. ¿Quiso decir alguna de estas?")
                )
                return Outcome([Reply(question, options)], step="choosing_parish", state=state)
            place = found.places[0]
        await authorize_parish(ctx.session, await current_scope(ctx), place.code, ctx.now)
        state = replace(state, parish_code=place.code, parish_label=place.label)
        return Outcome(
            [
                Reply(
                    ctx.t(
                        "¿Qué día y a qué hora? Hora local de {parish}. Por ejemplo: "
                        "15/12/2026 10:00, o «mañana 9:30».",
                        parish=place.name,
                    )
                )
            ],
            step="asking_start",
            state=state,
        )

    async def _asking_start(self, ctx: FlowContext, state: EventDraft, answer: Answer) -> Outcome:
        place = self._place(ctx, state.parish_code)
        starts_at = parse_event_start(answer.text, ctx.now, ZoneInfo(place.timezone))
        return Outcome(
            [
                Reply(
                    ctx.t(
                        "¿Dónde será? Escriba el lugar (p. ej. Casa comunal, junto a la iglesia)."
                    )
                )
            ],
            step="asking_place",
            state=replace(state, starts_at=starts_at),
        )

    async def _asking_place(self, ctx: FlowContext, state: EventDraft, answer: Answer) -> Outcome:
        where = " ".join(answer.text.split())
        if len(where) < 3 or len(where) > MAX_PLACE_CHARS:
            return Outcome(
                [
                    Reply(
                        ctx.t(
                            "Escriba el lugar con entre 3 y {limit} caracteres.",
                            limit=MAX_PLACE_CHARS,
                        )
                    )
                ],
                step="asking_place",
                state=state,
            )
        return Outcome(
            [
                Reply(
                    ctx.t("Escriba una breve descripción (qué se hará, qué llevar)."),
                    (Option("sin_descripcion", ctx.t("Sin descripción")),),
                )
            ],
            step="asking_description",
            state=replace(state, place=where),
        )

    async def _asking_description(
        self, ctx: FlowContext, state: EventDraft, answer: Answer
    ) -> Outcome:
        text = "" if answer.option == "sin_descripcion" else answer.text.strip()
        return Outcome(
            [
                Reply(
                    ctx.t(
                        "¿Cuándo avisar por SMS y Telegram? Por defecto: {default}. O escriba "
                        "otros, p. ej. «3 días, 2 horas».",
                        default=offsets_text(ctx, DEFAULT_OFFSETS_MINUTES),
                    ),
                    (Option("por_defecto", ctx.t("7 días y 1 día antes")),),
                )
            ],
            step="choosing_reminders",
            state=replace(state, description=text),
        )

    async def _choosing_reminders(
        self, ctx: FlowContext, state: EventDraft, answer: Answer
    ) -> Outcome:
        offsets = (
            DEFAULT_OFFSETS_MINUTES
            if answer.option == "por_defecto"
            else parse_offsets(answer.text)
        )
        state = replace(state, offsets=tuple(offsets))
        return self._summary(ctx, state)

    def _summary(self, ctx: FlowContext, state: EventDraft) -> Outcome:
        place = self._place(ctx, state.parish_code)
        local = _when(state).astimezone(ZoneInfo(place.timezone))
        kind_label = EVENT_KIND_LABELS[state.kind]
        lines = [
            ctx.t("Revise el evento:"),
            ctx.t("• Tipo: {kind}", kind=ctx.t(kind_label)),
            ctx.t("• Parroquia: {parish}", parish=state.parish_label),
            ctx.t(
                "• Fecha y hora: {when} (hora local)",
                when=ctx.tr.datetime(local, ctx.tr.pattern("weekday_date_year_time")),
            ),
            ctx.t("• Lugar: {place}", place=state.place),
            ctx.t("• Descripción: {text}", text=state.description or "—"),
            ctx.t("• Avisos: {offsets}", offsets=offsets_text(ctx, state.offsets)),
            ctx.t("¿Lo programo?"),
        ]
        options = (
            Option("confirmar", ctx.t("Programar el evento")),
            Option("descartar", ctx.t("Descartar")),
        )
        return Outcome([Reply("\n".join(lines), options)], step="confirming", state=state)

    async def _confirming(self, ctx: FlowContext, state: EventDraft, answer: Answer) -> Outcome:
        if answer.option == "descartar":
            return Outcome([Reply(ctx.t("Evento descartado: no se guardó nada."))])
        if answer.option != "confirmar":
            return self._summary(ctx, state)
        event, queued = await schedule_event(
            ctx.session,
            ctx.settings,
            await current_scope(ctx),
            kind=state.kind,
            parish_code=state.parish_code,
            starts_at=_when(state),
            place=state.place,
            description=state.description,
            offsets_minutes=state.offsets,
            now=ctx.now,
        )
        return Outcome(
            [
                Reply(
                    ctx.t(
                        "Listo: evento {id} programado en {parish}. Avisos ({offsets}): "
                        "{queued} mensajes en la cola de envío.",
                        id=event.id,
                        parish=state.parish_label,
                        offsets=offsets_text(ctx, state.offsets),
                        queued=queued,
                    )
                )
            ]
        )
