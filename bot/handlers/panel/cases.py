"""Case pages: the scoped list (the national queue for national staff), detail, status, district."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from bot.domain.dialogue import CASE_STATUS_LABELS, CASE_TRANSITIONS, PERSON_CATEGORIES
from bot.domain.errors import DomainError, NotFound
from bot.handlers.panel.core import PREFIX, REFUSALS, PanelRequest
from bot.services.authz import Action, authorize_listing, sees_national_queue
from bot.services.cases import (
    CASE_STATUSES,
    assign_case_district,
    authorize_case,
    case_history,
    change_case_status,
    district_choices,
    get_case,
    list_cases,
)

PAGE_SIZE = 50
_CATEGORY_LABELS = dict(PERSON_CATEGORIES)


def _place(ctx: PanelRequest, parish_code: str | None) -> str:
    place = ctx.services.territory.get(parish_code) if parish_code else None
    return place.label if place else "—"


async def case_list(ctx: PanelRequest) -> Response:
    """GET /panel/casos: the cases the staff member may see, filtered and paged."""
    scope = await authorize_listing(ctx.db, ctx.who.scope, Action.VIEW_CASES, now=ctx.now)
    params = ctx.request.query_params
    status = params.get("estado") or None
    status = status if status in CASE_STATUSES else None
    queue = params.get("cola") == "nacional" and sees_national_queue(scope)
    raw_page = params.get("pagina", "1")
    page = max(1, int(raw_page)) if raw_page.isdigit() and len(raw_page) < 6 else 1
    cases = await list_cases(
        ctx.db,
        scope,
        status=status,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        national_queue=queue,
    )
    rows = [
        {
            "case": c,
            "place": _place(ctx, c.parish_code),
            "category": ctx.tr.t(_CATEGORY_LABELS[c.person_category])
            if c.person_category in _CATEGORY_LABELS
            else "—",
            "status": ctx.tr.t(CASE_STATUS_LABELS.get(c.status, c.status)),
            "overdue": c.overdue(ctx.now.date()),
        }
        for c in cases
    ]
    return ctx.render(
        "cases.html",
        section="casos",
        rows=rows,
        statuses=[(s, ctx.tr.t(CASE_STATUS_LABELS[s])) for s in CASE_STATUSES],
        status=status or "",
        queue=queue,
        national=sees_national_queue(scope),
        page=page,
        more=len(cases) == PAGE_SIZE,
    )


async def case_detail(ctx: PanelRequest, *, error: str | None = None) -> Response:
    """GET /panel/casos/{number}: what the citizen wrote, where, who, and the history."""
    number = ctx.request.path_params["number"]
    try:
        await authorize_case(ctx.db, ctx.who.scope, number, Action.VIEW_CASES, now=ctx.now)
    except NotFound as missing:
        return ctx.render("message.html", status_code=404, message=ctx.error_text(missing))
    case = await get_case(ctx.db, ctx.who.scope, number)
    history = await case_history(ctx.db, ctx.who.scope, number)
    can_update = not ctx.who.scope.read_only
    return ctx.render(
        "case_detail.html",
        section="casos",
        case=case,
        place=_place(ctx, case.parish_code),
        category=ctx.tr.t(_CATEGORY_LABELS[case.person_category])
        if case.person_category in _CATEGORY_LABELS
        else "—",
        status=ctx.tr.t(CASE_STATUS_LABELS.get(case.status, case.status)),
        history=[(h, ctx.tr.t(CASE_STATUS_LABELS.get(h.status, h.status))) for h in history],
        next_statuses=[
            (s, ctx.tr.t(CASE_STATUS_LABELS[s])) for s in CASE_TRANSITIONS.get(case.status, ())
        ]
        if can_update
        else [],
        districts=await district_choices(ctx.db, ctx.who.scope) if can_update else [],
        error=error,
    )


async def case_status(ctx: PanelRequest) -> Response:
    """POST /panel/casos/{number}/estado: moves the case on, with a note; the reporter is told."""
    number = ctx.request.path_params["number"]
    await authorize_case(ctx.db, ctx.who.scope, number, Action.UPDATE_CASE, now=ctx.now)
    try:
        await change_case_status(
            ctx.db,
            ctx.who.scope,
            number,
            ctx.form.get("estado", ""),
            now=ctx.now,
            note=ctx.form.get("nota", "")[:1000],
            ministry=ctx.services.settings.ministry_name,
        )
    except REFUSALS:
        raise
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        return await case_detail(ctx, error=ctx.error_text(error))
    return RedirectResponse(f"{PREFIX}/casos/{number}", status_code=303)


async def case_assign(ctx: PanelRequest) -> Response:
    """POST /panel/casos/{number}/distrito: hands the case to a district directorate."""
    number = ctx.request.path_params["number"]
    try:
        await assign_case_district(
            ctx.db,
            ctx.who.scope,
            number,
            ctx.form.get("distrito", ""),
            now=ctx.now,
            note=ctx.form.get("nota", "")[:1000],
        )
    except NotFound as error:
        return await case_detail(ctx, error=ctx.error_text(error))
    return RedirectResponse(f"{PREFIX}/casos/{number}", status_code=303)
