"""Event pages: the calendar of coming events in the territory, and creating one."""

from __future__ import annotations

from datetime import datetime

from starlette.responses import RedirectResponse, Response

from bot.domain.event_kinds import EVENT_KIND_LABELS, EVENT_KINDS
from bot.handlers.panel.core import PREFIX, PanelRequest
from bot.services.authz import Action, authorize_listing
from bot.services.events import EventError, create_event, queue_announcements
from bot.services.panel_listings import coming_events


async def event_calendar(ctx: PanelRequest, *, error: str | None = None) -> Response:
    """GET /panel/eventos: coming events by day, and the creation form."""
    scope = await authorize_listing(ctx.db, ctx.who.scope, Action.VIEW_STATS, now=ctx.now)
    events = await coming_events(ctx.db, scope, now=ctx.now)
    zone = ctx.services.settings.timezone
    days: dict[str, list[tuple[str, str, str, str]]] = {}
    for event in events:
        local = event.starts_at.astimezone(zone)
        place = ctx.services.territory.get(event.parish_code)
        days.setdefault(ctx.tr.date(local.date(), "full"), []).append(
            (
                local.strftime("%H:%M"),
                ctx.tr.t(EVENT_KIND_LABELS.get(event.kind, event.kind)),
                place.label if place else event.parish_code,
                event.place,
            )
        )
    return ctx.render(
        "events.html",
        section="eventos",
        days=days,
        kinds=[(k, ctx.tr.t(EVENT_KIND_LABELS[k])) for k in EVENT_KINDS],
        can_create=not ctx.who.scope.read_only,
        error=error,
        form=ctx.form,
    )


async def event_create(ctx: PanelRequest) -> Response:
    """POST /panel/eventos: creates the event (authorised on its parish) and queues its notices."""
    zone = ctx.services.settings.timezone
    try:
        starts = datetime.fromisoformat(ctx.form.get("inicio", "")).replace(tzinfo=zone)
    except ValueError:
        return await event_calendar(ctx, error=ctx.tr.t("Indique la fecha y la hora del evento."))
    try:
        event = await create_event(
            ctx.db,
            ctx.who.scope,
            kind=ctx.form.get("tipo", ""),
            parish_code=ctx.form.get("parroquia", "").strip(),
            starts_at=starts,
            place=ctx.form.get("lugar", ""),
            description=ctx.form.get("descripcion", ""),
            now=ctx.now,
        )
    except EventError as error:
        return await event_calendar(ctx, error=ctx.error_text(error))
    await queue_announcements(ctx.db, ctx.services.settings, event, ctx.now)
    return RedirectResponse(f"{PREFIX}/eventos", status_code=303)
