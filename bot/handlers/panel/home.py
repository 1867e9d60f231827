"""The first page (figures of the territory) and the inbox's place in the menu."""

from __future__ import annotations

from starlette.responses import Response

from bot.handlers.panel.core import PanelRequest
from bot.services.panel_overview import overview


async def dashboard(ctx: PanelRequest) -> Response:
    """GET /panel/: open and overdue cases, the national queue, events, broadcasts, messages."""
    figures = await overview(ctx.db, ctx.who.scope, now=ctx.now)
    return ctx.render("dashboard.html", section="inicio", figures=figures)


async def inbox(ctx: PanelRequest) -> Response:
    """GET /panel/bandeja: where conversations handed to a person will wait (not built yet)."""
    return ctx.render("inbox.html", section="bandeja")


async def reports_placeholder(ctx: PanelRequest) -> Response:
    """GET /panel/informes: the reports with charts are mounted here when present."""
    return ctx.render("inbox.html", section="informes")
