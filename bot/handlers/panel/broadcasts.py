"""Broadcast pages: compose → preview (recipients, segments, cost) → confirm, as /difundir does.

The same service as the Telegram command (`bot.services.broadcasts`): the preview stores a draft
with a digest of the exact recipients; confirming re-counts and refuses if they changed.
"""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from bot.domain.errors import N_, NotFound
from bot.domain.registry import PaymentStatus, Programme
from bot.handlers.panel.core import PREFIX, PanelRequest
from bot.services.authz import Action, authorize_listing
from bot.services.broadcasts import (
    SOURCE_CHOICES,
    AudienceChanged,
    BroadcastError,
    cancel_broadcast,
    confirm_broadcast,
    draft_broadcast,
    staff_audience,
)
from bot.services.panel_listings import authorize_broadcast, recent_broadcasts
from notificaciones.audiences import Audience

TERRITORY_KINDS = ("district", "canton", "parish", "national")
_TERRITORY_LABELS = {
    "district": N_("Distrito"),
    "canton": N_("Cantón"),
    "parish": N_("Parroquia"),
    "national": N_("Todo el país"),
}
_SOURCE_LABELS = {
    "beneficiarios": N_("Beneficiarios del registro (SMS)"),
    "suscriptores": N_("Suscriptores (SMS y Telegram)"),
}
_STATUS_LABELS = {
    "activo": N_("Activo"),
    "no_habilitado": N_("No habilitado"),
    "suspendido": N_("Suspendido"),
    "dado_de_baja": N_("Dado de baja"),
    "no_cobrado": N_("No cobrado"),
    "problema_cuenta": N_("Problema de cuenta"),
    "pago_reprogramado": N_("Pago reprogramado"),
    "cobrado_por_tercero": N_("Cobrado por un tercero"),
    "retenido": N_("Retenido"),
}


def _choices(ctx: PanelRequest) -> dict[str, object]:
    return {
        "sources": [(k, ctx.tr.t(_SOURCE_LABELS[k])) for k in SOURCE_CHOICES],
        "territories": [(k, ctx.tr.t(_TERRITORY_LABELS[k])) for k in TERRITORY_KINDS],
        "programmes": [p.value for p in Programme],
        "payment_statuses": [(s.value, ctx.tr.t(_STATUS_LABELS[s.value])) for s in PaymentStatus],
    }


def describe(ctx: PanelRequest, audience: Audience) -> list[str]:
    """The audience in words, for the preview and the list."""
    parts = []
    if audience.national:
        parts.append(ctx.tr.t("Todo el país"))
    for label, codes in (
        (N_("Distrito"), audience.district_codes),
        (N_("Cantón"), audience.canton_codes),
        (N_("Parroquia"), audience.parish_codes),
    ):
        for code in codes:
            place = ctx.services.territory.get(code) if label != "Distrito" else None
            parts.append(f"{ctx.tr.t(label)}: {place.label if place else code}")
    if audience.programmes:
        parts.append(ctx.tr.t("Programa: {names}", names=", ".join(audience.programmes)))
    if audience.payment_statuses:
        names = [ctx.tr.t(_STATUS_LABELS.get(s, s)) for s in audience.payment_statuses]
        parts.append(ctx.tr.t("Estado de pago: {names}", names=", ".join(names)))
    return parts


async def broadcast_home(
    ctx: PanelRequest, *, error: str | None = None, status_code: int = 200
) -> Response:
    """GET /panel/difusiones: the compose form and the latest broadcasts of the territory."""
    scope = await authorize_listing(ctx.db, ctx.who.scope, Action.VIEW_STATS, now=ctx.now)
    recent = await recent_broadcasts(ctx.db, scope)
    return ctx.render(
        "broadcasts.html",
        status_code=status_code,
        section="difusiones",
        recent=[(b, describe(ctx, Audience.from_json(b.audience))) for b in recent],
        can_send=not ctx.who.scope.read_only,
        form=ctx.form,
        error=error,
        **_choices(ctx),
    )


async def broadcast_preview(ctx: PanelRequest) -> Response:
    """POST /panel/difusiones: counts the audience and stores a draft; shows the preview."""
    form = ctx.form
    kind = form.get("ambito", "")
    try:
        audience = staff_audience(
            form.get("fuente", ""),
            kind,
            form.get("codigo", "").strip().upper() or None if kind != "national" else None,
            programme=form.get("programa") or None,
            payment_status=form.get("estado_pago") or None,
        )
    except ValueError:
        return await broadcast_home(
            ctx, error=ctx.tr.t("Elija a quién enviar: fuente y lugar."), status_code=422
        )
    try:
        broadcast, preview = await draft_broadcast(
            ctx.db,
            ctx.who.scope,
            audience,
            form.get("mensaje", ""),
            now=ctx.now,
            settings=ctx.services.settings,
        )
    except BroadcastError as error:
        return await broadcast_home(ctx, error=ctx.error_text(error), status_code=422)
    return ctx.render(
        "broadcast_preview.html",
        section="difusiones",
        broadcast=broadcast,
        preview=preview,
        audience=describe(ctx, audience),
    )


def _broadcast_id(ctx: PanelRequest) -> int:
    raw = str(ctx.request.path_params["broadcast_id"])
    if not raw.isdigit() or len(raw) > 12:
        raise NotFound("No existe la difusión {id}.", id=raw)
    return int(raw)


async def broadcast_detail(ctx: PanelRequest, *, notice: str | None = None) -> Response:
    """GET /panel/difusiones/{id}: a broadcast's audience, figures and status."""
    try:
        broadcast = await authorize_broadcast(
            ctx.db, ctx.who.scope, _broadcast_id(ctx), now=ctx.now
        )
    except NotFound as missing:
        return ctx.render("message.html", status_code=404, message=ctx.error_text(missing))
    return ctx.render(
        "broadcast_detail.html",
        section="difusiones",
        broadcast=broadcast,
        audience=describe(ctx, Audience.from_json(broadcast.audience)),
        notice=notice or _queued_notice(ctx),
        can_send=not ctx.who.scope.read_only,
    )


def _queued_notice(ctx: PanelRequest) -> str | None:
    raw = ctx.request.query_params.get("en_cola", "")
    if not raw.isdigit() or len(raw) > 9:
        return None
    return ctx.tr.tn(
        "Difusión confirmada: {n} mensaje en cola.",
        "Difusión confirmada: {n} mensajes en cola.",
        int(raw),
    )


async def broadcast_confirm(ctx: PanelRequest) -> Response:
    """POST /panel/difusiones/{id}/confirmar: queues the messages (refused if the list changed)."""
    broadcast_id = _broadcast_id(ctx)
    await authorize_broadcast(
        ctx.db, ctx.who.scope, broadcast_id, now=ctx.now, action=Action.BROADCAST
    )
    try:
        queued = await confirm_broadcast(
            ctx.db, ctx.who.scope, broadcast_id, now=ctx.now, settings=ctx.services.settings
        )
    except AudienceChanged as changed:  # the draft's new figures are committed with the page
        return await broadcast_detail(ctx, notice=ctx.error_text(changed))
    except BroadcastError as error:
        return await broadcast_detail(ctx, notice=ctx.error_text(error))
    return RedirectResponse(f"{PREFIX}/difusiones/{broadcast_id}?en_cola={queued}", status_code=303)


async def broadcast_cancel(ctx: PanelRequest) -> Response:
    """POST /panel/difusiones/{id}/cancelar: cancels a draft; nothing is sent."""
    broadcast_id = _broadcast_id(ctx)
    try:
        await cancel_broadcast(ctx.db, ctx.who.scope, broadcast_id, now=ctx.now)
    except BroadcastError as error:
        return await broadcast_detail(ctx, notice=ctx.error_text(error))
    return RedirectResponse(f"{PREFIX}/difusiones", status_code=303)
