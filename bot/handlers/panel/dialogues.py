"""Dialogue pages: the four-question matrix with editable observations, commitments, exports."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from starlette.responses import RedirectResponse, Response

from bot.domain.dialogue import COMMITMENT_STATUS_LABELS, COMMITMENT_STATUSES, QUESTIONS
from bot.domain.errors import DomainError, NotFound
from bot.handlers.panel.core import PREFIX, REFUSALS, PanelRequest
from bot.services import reports
from bot.services.authz import Action, authorize_listing
from bot.services.commitments import add_commitment, change_commitment_status, session_commitments
from bot.services.dialogues import (
    edit_observations,
    list_sessions,
    parish_matrix,
    session_matrix,
    year_round_parishes,
)

_EXPORT_TABLES = {
    "alertas": "matriz_alertas",
    "compromisos": "matriz_compromisos",
    "resumen": "resumen",
}


def _session_id(ctx: PanelRequest) -> int:
    raw = str(ctx.request.path_params["session_id"])
    if not raw.isdigit() or len(raw) > 12:
        raise NotFound("No existe el diálogo {id}.", id=raw)
    return int(raw)


async def dialogue_list(ctx: PanelRequest) -> Response:
    """GET /panel/dialogos: the dialogue sessions of the staff member's territory."""
    scope = await authorize_listing(ctx.db, ctx.who.scope, Action.VIEW_DIALOGUES, now=ctx.now)
    sessions = await list_sessions(ctx.db, scope)
    rows = [(s, ctx.services.territory.get(s.parish_code)) for s in sessions]
    year_round = []
    for code, count in await year_round_parishes(ctx.db, scope):
        place = ctx.services.territory.get(code)
        year_round.append((code, place.label if place else code, count))
    return ctx.render(
        "dialogues.html",
        section="dialogos",
        rows=[(s, place.label if place else s.parish_code) for s, place in rows],
        year_round=year_round,
    )


async def parish_dialogue(ctx: PanelRequest) -> Response:
    """GET /panel/dialogos/parroquia/{code}: a parish's year-round answers and observations."""
    code = str(ctx.request.path_params["parish_code"])[:6]
    answers = await parish_matrix(ctx.db, ctx.who.scope, code, now=ctx.now)
    place = ctx.services.territory.get(code)
    return ctx.render(
        "parish_dialogue.html",
        section="dialogos",
        place=place.label if place else code,
        questions=QUESTIONS,
        by_question={q.number: [a for a in answers if a.question == q.number] for q in QUESTIONS},
        can_edit=not ctx.who.scope.read_only,
    )


async def dialogue_detail(ctx: PanelRequest, *, error: str | None = None) -> Response:
    """GET /panel/dialogos/{id}: the matrix of answers and the commitments matrix."""
    try:
        dialogue, answers = await session_matrix(
            ctx.db, ctx.who.scope, _session_id(ctx), now=ctx.now
        )
    except NotFound as missing:
        return ctx.render("message.html", status_code=404, message=ctx.error_text(missing))
    by_question = {q.number: [a for a in answers if a.question == q.number] for q in QUESTIONS}
    place = ctx.services.territory.get(dialogue.parish_code)
    return ctx.render(
        "dialogue_detail.html",
        section="dialogos",
        dialogue=dialogue,
        place=place.label if place else dialogue.parish_code,
        questions=QUESTIONS,
        by_question=by_question,
        commitments=await session_commitments(ctx.db, dialogue.id),
        statuses=[(s, ctx.tr.t(COMMITMENT_STATUS_LABELS[s])) for s in COMMITMENT_STATUSES],
        status_labels={s: ctx.tr.t(label) for s, label in COMMITMENT_STATUS_LABELS.items()},
        can_edit=not ctx.who.scope.read_only,
        error=error,
    )


async def observation(ctx: PanelRequest) -> Response:
    """POST /panel/dialogos/respuestas/{answer_id}: saves an answer's «observaciones adicionales».

    With HTMX the saved row comes back alone; without JavaScript the page reloads.
    """
    raw = str(ctx.request.path_params["answer_id"])
    answer_id = int(raw) if raw.isdigit() and len(raw) < 12 else 0
    try:
        answer = await edit_observations(
            ctx.db, ctx.who.scope, answer_id, ctx.form.get("observaciones", ""), now=ctx.now
        )
    except NotFound as missing:
        return ctx.render("message.html", status_code=404, message=ctx.error_text(missing))
    except REFUSALS:
        raise
    except DomainError as error:
        return ctx.render("message.html", status_code=422, message=ctx.error_text(error))
    if ctx.request.headers.get("HX-Request"):
        return ctx.render("_answer_row.html", answer=answer, can_edit=True, saved=True)
    back = ctx.form.get("volver", "")
    target = back if back.startswith(f"{PREFIX}/dialogos/") else f"{PREFIX}/dialogos"
    # (a year-round answer's page is /panel/dialogos/parroquia/<code>, also under /dialogos/)
    return RedirectResponse(target, status_code=303)


def _deadline(text: str) -> date | None:
    text = text.strip()
    return date.fromisoformat(text) if text else None


async def commitment_add(ctx: PanelRequest) -> Response:
    """POST /panel/dialogos/{id}/compromisos: adds a row to the commitments matrix."""
    session_id = _session_id(ctx)
    try:
        deadline = _deadline(ctx.form.get("plazo", ""))
    except ValueError:
        return await dialogue_detail(ctx, error=ctx.tr.t("La fecha del plazo no es válida."))
    try:
        await add_commitment(
            ctx.db,
            ctx.who.scope,
            session_id=session_id,
            proposal=ctx.form.get("propuesta", ""),
            citizen_commitment=ctx.form.get("ciudadania", ""),
            institution_commitment=ctx.form.get("institucion", ""),
            deadline=deadline,
            responsible_unit=ctx.form.get("unidad", ""),
            now=ctx.now,
        )
    except REFUSALS:
        raise
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        return await dialogue_detail(ctx, error=ctx.error_text(error))
    return RedirectResponse(f"{PREFIX}/dialogos/{session_id}", status_code=303)


async def commitment_status(ctx: PanelRequest) -> Response:
    """POST /panel/dialogos/{id}/compromisos/{commitment_id}: a dated status update."""
    session_id = _session_id(ctx)
    raw = str(ctx.request.path_params["commitment_id"])
    try:
        await change_commitment_status(
            ctx.db,
            ctx.who.scope,
            int(raw) if raw.isdigit() and len(raw) < 12 else 0,
            ctx.form.get("estado", ""),
            now=ctx.now,
            note=ctx.form.get("nota", "")[:1000],
            ministry=ctx.services.settings.ministry_name,
        )
    except REFUSALS:
        raise
    except DomainError as error:
        if isinstance(error, NotFound):
            return ctx.render("message.html", status_code=404, message=ctx.error_text(error))
        return await dialogue_detail(ctx, error=ctx.error_text(error))
    return RedirectResponse(f"{PREFIX}/dialogos/{session_id}", status_code=303)


async def dialogue_export(ctx: PanelRequest) -> Response:
    """GET /panel/dialogos/{id}/exportar/{tabla}: the CLI's export (CSV per table, or XLSX)."""
    session_id = _session_id(ctx)
    await session_matrix(ctx.db, ctx.who.scope, session_id, now=ctx.now)  # authorises
    data = await reports.dialogue_report(ctx.db, ctx.who.scope, session_id)
    table = str(ctx.request.path_params["table"])
    stem = f"dialogo_{session_id}"
    ministry = ctx.services.settings.ministry_name
    with tempfile.TemporaryDirectory() as directory:
        if table == "libro.xlsx":
            path = reports.export(data, Path(directory), stem, "xlsx", ministry)[0]
            media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        elif table.removesuffix(".csv") in _EXPORT_TABLES:
            wanted = f"{stem}_{_EXPORT_TABLES[table.removesuffix('.csv')]}.csv"
            paths = reports.export(data, Path(directory), stem, "csv", ministry)
            path = next(p for p in paths if p.name == wanted)
            media = "text/csv; charset=utf-8"
        else:
            return ctx.render("message.html", status_code=404, message=ctx.tr.t("No existe."))
        content = path.read_bytes()
        name = path.name
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
