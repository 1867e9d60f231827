"""The first page: figures of the staff member's territory."""

from __future__ import annotations

from starlette.responses import Response

from bot.handlers.panel.core import PanelRequest
from bot.services.panel_overview import overview


async def dashboard(ctx: PanelRequest) -> Response:
    """GET /panel/: open and overdue cases, the national queue, events, broadcasts, messages."""
    figures = await overview(ctx.db, ctx.who.scope, now=ctx.now)
    return ctx.render("dashboard.html", section="inicio", figures=figures)
