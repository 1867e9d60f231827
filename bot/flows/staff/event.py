"""«/evento»: staff announce a parish event (type, parish, date and time, place, reminders)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
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
from bot.flows.base import Answer, FlowContext, Option, Outcome, Reply
from bot.flows.staff.access import current_scope, require_role
from bot.services.authz import Action
from bot.services.events import (
    MAX_PLACE_CHARS,
    authorize_parish,
    create_event,
    queue_announcements,
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

    def title(self, ctx: FlowContext) -> str:
        """Label (not in the menu)."""
        return ctx.t("Programar un evento")

    async def start(self, ctx: FlowContext, data: dict[str, Any]) -> Outcome:
        """Checks the role, then asks the kind of event («/evento feria» skips the question)."""
        await require_role(ctx, Action.CREATE_EVENT)
        kind = kind_from_text(str(data.get("args", "")))
        if kind is not None:
            return self._ask_parish(ctx, {"kind": kind})
        options = tuple(Option(k, ctx.t(label)) for k, label in EVENT_KIND_LABELS.items())
        return Outcome(
            [Reply(ctx.t("¿Qué tipo de evento quiere programar?"), options)],
            step="choosing_kind",
        )

    async def step(
        self, ctx: FlowContext, step: str, data: dict[str, Any], answer: Answer
    ) -> Outcome:
        """Runs one step of the event conversation."""
        handler = getattr(self, f"_{step}", None)
        if handler is None:
            return await self.start(ctx, {})
        result: Outcome = await handler(ctx, data, answer)
        return result

    def _ask_parish(self, ctx: FlowContext, data: dict[str, Any]) -> Outcome:
        return Outcome(
            [Reply(ctx.t("¿En qué parroquia? Escriba su nombre (p. ej. Tacamoros)."))],
            step="choosing_parish",
            data=data,
        )

    async def _choosing_kind(
        self, ctx: FlowContext, data: dict[str, Any], answer: Answer
    ) -> Outcome:
        kind = answer.option if answer.option in EVENT_KIND_LABELS else kind_from_text(answer.text)
        if kind is None:
            return await self.start(ctx, {})
        return self._ask_parish(ctx, {**data, "kind": kind})

    def _place(self, ctx: FlowContext, code: str) -> Place:
        place = ctx.services.territory.get(code)
        if place is None or place.kind != "parish":
            raise UnknownParish(N_("No existe la parroquia {code}."), code=code)
        return place

    async def _choosing_parish(
        self, ctx: FlowContext, data: dict[str, Any], answer: Answer
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
                return Outcome([Reply(question, options)], step="choosing_parish", data=data)
            place = found.places[0]
        await authorize_parish(ctx.session, await current_scope(ctx), place.code, ctx.now)
        data = {**data, "parish_code": place.code, "parish_label": place.label}
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
            data=data,
        )

    async def _asking_start(
        self, ctx: FlowContext, data: dict[str, Any], answer: Answer
    ) -> Outcome:
        place = self._place(ctx, data["parish_code"])
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
            data={**data, "starts_at": starts_at.isoformat()},
        )

    async def _asking_place(
        self, ctx: FlowContext, data: dict[str, Any], answer: Answer
    ) -> Outcome:
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
                data=data,
            )
        return Outcome(
            [
                Reply(
                    ctx.t("Escriba una breve descripción (qué se hará, qué llevar)."),
                    (Option("sin_descripcion", ctx.t("Sin descripción")),),
                )
            ],
            step="asking_description",
            data={**data, "place": where},
        )

    async def _asking_description(
        self, ctx: FlowContext, data: dict[str, Any], answer: Answer
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
            data={**data, "description": text},
        )

    async def _choosing_reminders(
        self, ctx: FlowContext, data: dict[str, Any], answer: Answer
    ) -> Outcome:
        offsets = (
            DEFAULT_OFFSETS_MINUTES
            if answer.option == "por_defecto"
            else parse_offsets(answer.text)
        )
        data = {**data, "offsets": list(offsets)}
        return self._summary(ctx, data)

    def _summary(self, ctx: FlowContext, data: dict[str, Any]) -> Outcome:
        place = self._place(ctx, data["parish_code"])
        local = datetime.fromisoformat(data["starts_at"]).astimezone(ZoneInfo(place.timezone))
        kind_label = EVENT_KIND_LABELS[data["kind"]]
        lines = [
            ctx.t("Revise el evento:"),
            ctx.t("• Tipo: {kind}", kind=ctx.t(kind_label)),
            ctx.t("• Parroquia: {parish}", parish=data["parish_label"]),
            ctx.t(
                "• Fecha y hora: {when} (hora local)",
                when=ctx.tr.datetime(local, ctx.tr.pattern("weekday_date_year_time")),
            ),
            ctx.t("• Lugar: {place}", place=data["place"]),
            ctx.t("• Descripción: {text}", text=data["description"] or "—"),
            ctx.t("• Avisos: {offsets}", offsets=offsets_text(ctx, data["offsets"])),
            ctx.t("¿Lo programo?"),
        ]
        options = (
            Option("confirmar", ctx.t("Programar el evento")),
            Option("descartar", ctx.t("Descartar")),
        )
        return Outcome([Reply("\n".join(lines), options)], step="confirming", data=data)

    async def _confirming(self, ctx: FlowContext, data: dict[str, Any], answer: Answer) -> Outcome:
        if answer.option == "descartar":
            return Outcome([Reply(ctx.t("Evento descartado: no se guardó nada."))])
        if answer.option != "confirmar":
            return self._summary(ctx, data)
        event = await create_event(
            ctx.session,
            await current_scope(ctx),
            kind=data["kind"],
            parish_code=data["parish_code"],
            starts_at=datetime.fromisoformat(data["starts_at"]),
            place=data["place"],
            description=data["description"],
            offsets_minutes=tuple(int(o) for o in data["offsets"]),
            now=ctx.now,
        )
        queued = await queue_announcements(ctx.session, ctx.settings, event, ctx.now)
        return Outcome(
            [
                Reply(
                    ctx.t(
                        "Listo: evento {id} programado en {parish}. Avisos ({offsets}): "
                        "{queued} mensajes en la cola de envío.",
                        id=event.id,
                        parish=data["parish_label"],
                        offsets=offsets_text(ctx, data["offsets"]),
                        queued=queued,
                    )
                )
            ]
        )
