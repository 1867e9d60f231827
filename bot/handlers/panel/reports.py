"""Reports with charts: each chart drawn on the server as SVG, its numbers beside it as CSV/XLSX.

The charts and their figures come from `bot.services.report_charts`, for the staff member's own
territory (refused and audited otherwise). The page embeds each chart as an image, so it loads
on a slow connection without any script, and a reader who prefers numbers downloads the table.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.handlers.panel.core import PanelRequest, PanelState, page
from bot.services import report_charts
from bot.services.cells import xlsx_cell
from bot.services.reports import to_csv

PERIODS = (7, 30, 90, 365)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _days(ctx: PanelRequest) -> int:
    raw = ctx.request.query_params.get("dias", "30")
    return int(raw) if raw.isdigit() and int(raw) in PERIODS else 30


async def _chart(ctx: PanelRequest) -> report_charts.Chart | None:
    key = str(ctx.request.path_params["key"])
    builder = report_charts.CHARTS.get(key)
    if builder is None:
        return None
    days = _days(ctx)
    if key == "casos":
        return await builder(ctx.db, ctx.who.scope, now=ctx.now, weeks=max(4, days // 7))
    return await builder(ctx.db, ctx.who.scope, now=ctx.now, days=days)


async def report_page(ctx: PanelRequest) -> Response:
    """GET /panel/informes: every chart of the period, with its tables to download."""
    days = _days(ctx)
    charts = [
        {"key": key, "title": ctx.tr.t(title)}
        for key, title in (
            ("mensajes", "Mensajes por día y resultado"),
            ("entrega", "SMS entregados por parroquia (%)"),
            ("casos", "Casos abiertos y cerrados por semana"),
            ("consultas", "Consultas de pago por estado en el registro"),
            ("dialogo", "Respuestas del Diálogo Ciudadano por pregunta"),
        )
    ]
    return ctx.render("reports.html", section="informes", charts=charts, days=days, periods=PERIODS)


async def chart_svg(ctx: PanelRequest) -> Response:
    """GET /panel/informes/{key}.svg: the chart as an image."""
    chart = await _chart(ctx)
    if chart is None:
        return Response("not found", status_code=404)
    response = Response(report_charts.svg(chart, ctx.tr), media_type="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


async def chart_table(ctx: PanelRequest) -> Response:
    """GET /panel/informes/{key}.{fmt}: the chart's numbers as CSV or XLSX."""
    chart = await _chart(ctx)
    fmt = str(ctx.request.path_params["fmt"])
    if chart is None or fmt not in ("csv", "xlsx"):
        return Response("not found", status_code=404)
    rows = report_charts.table(chart, ctx.tr)
    name = f"informe-{chart.key}-{_days(ctx)}d.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return Response(
            to_csv(rows).encode("utf-8-sig"), media_type="text/csv; charset=utf-8", headers=headers
        )
    book = Workbook(write_only=True)
    sheet = book.create_sheet(chart.key)
    for row in rows:
        sheet.append([xlsx_cell(sheet, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return Response(out.getvalue(), media_type=XLSX, headers=headers)


def report_routes(state: PanelState) -> Sequence[BaseRoute]:
    """The report pages, mounted by the panel at /panel/informes."""
    return [
        Route("/informes", page(state, "informes", report_page), methods=["GET"]),
        Route("/informes/{key}.svg", page(state, "informe_grafico", chart_svg), methods=["GET"]),
        Route("/informes/{key}.{fmt}", page(state, "informe_tabla", chart_table), methods=["GET"]),
    ]
