"""The staff web panel under /panel: server-rendered pages (Jinja2) with a little HTMX.

`panel_routes(services)` gives the routes the web app (`bot.handlers.web.build_app`) mounts. Pages
are plain HTML forms that work without JavaScript on a slow district connection; HTMX (vendored
in `static/`, no CDN, no build step) only saves a reload where it helps (observations, the
import's progress bar). Every page and action goes through `core.page`: sign-in, CSRF, the role
× territory table (`bot.services.authz`), audit.

Other modules add their own pages under the panel: `report_routes` are mounted at
/panel/informes and `inbox_routes` at /panel/bandeja, given as a list of routes or as a function
of the `PanelState` returning them — build each with `core.page(state, name, handler)` to get the
same sign-in, CSRF, role × territory refusals and audit, and render with `ctx.render(...)`
(templates extend "base.html"; set `section="informes"` or `"bandeja"` for the menu).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.handlers.panel import broadcasts, cases, dialogues, events, home, registry
from bot.handlers.panel.core import PREFIX, STATIC, Handler, PanelState, page
from bot.handlers.panel.signin import signin_endpoints
from bot.services.container import Services

RoutesFactory = Callable[[PanelState], Sequence[BaseRoute]]
# Pages another module adds: its routes, or a function building them on the panel's state.
ExtraPages = Sequence[BaseRoute] | RoutesFactory


def _built(pages: ExtraPages, state: PanelState) -> list[BaseRoute]:
    return list(pages(state) if callable(pages) else pages)


def panel_routes(
    services: Services,
    *,
    report_routes: ExtraPages | None = None,
    inbox_routes: ExtraPages | None = None,
) -> list[BaseRoute]:
    """The panel's routes, to mount on the web app (one `Mount` at /panel)."""
    state = PanelState.build(services)
    signin = signin_endpoints(state)

    def get(path: str, name: str, handler: Handler) -> Route:
        return Route(path, page(state, name, handler), methods=["GET"])

    def post(path: str, name: str, handler: Handler) -> Route:
        return Route(path, page(state, name, handler), methods=["POST"])

    routes: list[BaseRoute] = [
        Route("/entrar", signin["show"], methods=["GET"]),
        Route("/entrar", signin["with_password"], methods=["POST"]),
        Route("/entrar/codigo", signin["request_code"], methods=["POST"]),
        Route("/entrar/con-codigo", signin["with_code"], methods=["POST"]),
        Route("/salir", signin["sign_out"], methods=["POST"]),
        Route("/idioma/{code}", signin["language"], methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="panel_static"),
        get("/", "inicio", home.dashboard),
        get("/casos", "casos", cases.case_list),
        get("/casos/{number}", "caso", cases.case_detail),
        post("/casos/{number}/estado", "caso_estado", cases.case_status),
        post("/casos/{number}/distrito", "caso_distrito", cases.case_assign),
        get("/dialogos", "dialogos", dialogues.dialogue_list),
        get("/dialogos/parroquia/{parish_code}", "dialogo_parroquia", dialogues.parish_dialogue),
        get("/dialogos/{session_id}", "dialogo", dialogues.dialogue_detail),
        post("/dialogos/respuestas/{answer_id}", "observaciones", dialogues.observation),
        post("/dialogos/{session_id}/compromisos", "compromiso_nuevo", dialogues.commitment_add),
        post(
            "/dialogos/{session_id}/compromisos/{commitment_id}",
            "compromiso_estado",
            dialogues.commitment_status,
        ),
        get(
            "/dialogos/{session_id}/exportar/{table}", "dialogo_exportar", dialogues.dialogue_export
        ),
        get("/eventos", "eventos", events.event_calendar),
        post("/eventos", "evento_nuevo", events.event_create),
        get("/difusiones", "difusiones", broadcasts.broadcast_home),
        post("/difusiones", "difusion_vista_previa", broadcasts.broadcast_preview),
        get("/difusiones/{broadcast_id}", "difusion", broadcasts.broadcast_detail),
        post(
            "/difusiones/{broadcast_id}/confirmar",
            "difusion_confirmar",
            broadcasts.broadcast_confirm,
        ),
        post(
            "/difusiones/{broadcast_id}/cancelar", "difusion_cancelar", broadcasts.broadcast_cancel
        ),
        get("/registro", "registro", registry.registry_home),
        post("/registro", "registro_subir", registry.registry_upload),
        get("/registro/trabajos/{job_id}", "registro_trabajo", registry.registry_job),
        get(
            "/registro/trabajos/{job_id}/errores.csv", "registro_errores", registry.registry_errors
        ),
    ]
    if inbox_routes is not None:
        routes.append(Mount("/bandeja", routes=_built(inbox_routes, state)))
    else:
        routes.append(get("/bandeja", "bandeja", home.inbox))
    if report_routes is not None:
        routes.append(Mount("/informes", routes=_built(report_routes, state)))
    else:
        routes.append(get("/informes", "informes", home.reports_placeholder))
    return [Mount(PREFIX, routes=routes)]
