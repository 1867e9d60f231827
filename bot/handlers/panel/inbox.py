"""The inbox: conversations a citizen asked to have with a person, taken and answered here.

Rows are the staff member's territory only (the national inbox for national staff); each page and
action goes through `core.page` (sign-in, CSRF, role × territory refusal, audit) and the services
in `bot.services.handoff`, which send the answers through the outbox on the citizen's channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.domain.errors import DomainError, NotFound
from bot.handlers.panel.core import PREFIX, REFUSALS, PanelRequest, PanelState, page
from bot.services import handoff

HISTORY_STATUSES = (handoff.RETURNED, handoff.CLOSED)


def _minutes(span: timedelta | None) -> str:
    if span is None:
        return "—"
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _row(ctx: PanelRequest, view: handoff.HandoffView) -> dict[str, object]:
    return {
        "view": view,
        "status": ctx.tr.t(handoff.STATUS_LABELS[view.status]),
        "reason": ctx.tr.t(handoff.REASONS.get(view.reason, view.reason)),
        "waiting": _minutes(view.waiting),
        "first_answer": _minutes(view.to_first_answer),
    }


async def inbox_list(ctx: PanelRequest) -> Response:
    """GET /panel/bandeja: open conversations (priority, then oldest), or the finished ones."""
    finished = ctx.request.query_params.get("ver") == "terminadas"
    statuses = HISTORY_STATUSES if finished else handoff.OPEN_STATUSES
    views = await handoff.inbox(ctx.db, ctx.who.scope, now=ctx.now, statuses=statuses)
    return ctx.render(
        "inbox_list.html",
        section="bandeja",
        rows=[_row(ctx, v) for v in views],
        finished=finished,
    )


async def conversation(ctx: PanelRequest, *, error: str | None = None) -> Response:
    """GET /panel/bandeja/{id}: everything written, and the answer box."""
    number = _id(ctx)
    view, lines = await handoff.view(ctx.db, ctx.who.scope, number, now=ctx.now)
    return ctx.render(
        "inbox_conversation.html",
        section="bandeja",
        row=_row(ctx, view),
        lines=lines,
        error=error,
        max_chars=handoff.MAX_REPLY_CHARS,
    )


async def take(ctx: PanelRequest) -> Response:
    """POST /panel/bandeja/{id}/tomar."""
    return await _act(ctx, lambda: handoff.take(ctx.db, ctx.who.scope, _id(ctx), now=ctx.now))


async def answer(ctx: PanelRequest) -> Response:
    """POST /panel/bandeja/{id}/responder: sends the text to the citizen."""
    text = ctx.form.get("texto", "")
    return await _act(
        ctx, lambda: handoff.reply(ctx.db, ctx.who.scope, _id(ctx), text, now=ctx.now)
    )


async def hand_back(ctx: PanelRequest) -> Response:
    """POST /panel/bandeja/{id}/devolver: back to the bot."""
    return await _act(
        ctx,
        lambda: handoff.hand_back(ctx.db, ctx.who.scope, _id(ctx), now=ctx.now, close=False),
    )


async def close(ctx: PanelRequest) -> Response:
    """POST /panel/bandeja/{id}/cerrar."""
    return await _act(
        ctx,
        lambda: handoff.hand_back(ctx.db, ctx.who.scope, _id(ctx), now=ctx.now, close=True),
    )


def _id(ctx: PanelRequest) -> int:
    raw = str(ctx.request.path_params["number"])
    return int(raw) if raw.isdigit() and len(raw) < 12 else 0


async def _act(ctx: PanelRequest, action: object) -> Response:
    try:
        await action()  # type: ignore[operator]
    except (*REFUSALS, NotFound):
        raise  # `core.page` answers 403 (audited) or 404
    except DomainError as error:
        return await conversation(ctx, error=ctx.error_text(error))
    return RedirectResponse(f"{PREFIX}/bandeja/{_id(ctx)}", status_code=303)


def inbox_routes(state: PanelState) -> Sequence[BaseRoute]:
    """The inbox pages, mounted by the panel at /panel/bandeja."""

    def get(path: str, name: str, handler: object) -> Route:
        return Route(path, page(state, name, handler), methods=["GET"])  # type: ignore[arg-type]

    def post(path: str, name: str, handler: object) -> Route:
        return Route(path, page(state, name, handler), methods=["POST"])  # type: ignore[arg-type]

    return [
        get("/bandeja", "bandeja", inbox_list),
        get("/bandeja/{number}", "bandeja_conversacion", conversation),
        post("/bandeja/{number}/tomar", "bandeja_tomar", take),
        post("/bandeja/{number}/responder", "bandeja_responder", answer),
        post("/bandeja/{number}/devolver", "bandeja_devolver", hand_back),
        post("/bandeja/{number}/cerrar", "bandeja_cerrar", close),
    ]
