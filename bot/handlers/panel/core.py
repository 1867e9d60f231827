"""What every panel page shares: the signed-in staff member, CSRF, rendering, refusals.

A page or action is a function `(ctx: PanelRequest) -> Response` wrapped by `page(...)`:
- no valid session → sign-in page (303; 401 with `HX-Redirect` for an HTMX request);
- a POST without the session's CSRF token (form field `csrf` or header `X-CSRF-Token`) → 403;
- the services' refusals (`PermissionDenied` from the role × territory table, `NotAllowed`) →
  403, and the refusal is written to the audit log in its own transaction (the page's own
  transaction is rolled back, so nothing half-done stays); `NotFound` → 404;
- a POST that succeeds is audited as `panel.<name>` besides what the service itself audits.
The page runs inside one database transaction (`ctx.db`), committed when it returns.

Pages mounted by other modules (reports under /panel/informes, the future inbox) use the same
`page` wrapper and `ctx.render`, so they get the same sign-in, CSRF and audit for free.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.domain.errors import DomainError, NotAllowed, NotFound
from bot.domain.text import for_staff
from bot.i18n import Translator, translator
from bot.services.audit import record
from bot.services.authz import ROLE_LABELS, PermissionDenied, scope_label
from bot.services.container import Services
from bot.services.panel_auth import SignedIn, SignInPolicy, load_session_key, session_of

log = logging.getLogger(__name__)

PREFIX = "/panel"
SESSION_COOKIE = "panel_sesion"
PRESESSION_COOKIE = "panel_pre"
LANG_COOKIE = "panel_idioma"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

# The menu, in order: (path under /panel, label, section key). "Bandeja" is where the inbox of
# conversations handed to a person will live (issue 14, built on top of this panel).
NAV = (
    ("/", "Inicio", "inicio"),
    ("/bandeja", "Bandeja", "bandeja"),
    ("/casos", "Casos", "casos"),
    ("/dialogos", "Diálogos", "dialogos"),
    ("/eventos", "Eventos", "eventos"),
    ("/difusiones", "Difusiones", "difusiones"),
    ("/registro", "Registro", "registro"),
    ("/informes", "Informes", "informes"),
)


@dataclass
class PanelState:
    """The panel's shared, read-only pieces: services, key, policy, templates."""

    services: Services
    key: bytes
    policy: SignInPolicy
    env: Environment
    jobs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, services: Services) -> PanelState:
        """Loads the session key and the templates."""
        env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["citizen"] = for_staff
        zone = services.settings.timezone
        # Times are stored in UTC and read by staff in Ecuador's time.
        env.filters["local"] = lambda value, fmt="%d/%m/%Y %H:%M": value.astimezone(zone).strftime(
            fmt
        )
        return cls(
            services=services,
            key=load_session_key(services.settings),
            policy=SignInPolicy.from_settings(services.settings),
            env=env,
        )

    def csrf_for(self, value: str) -> str:
        """The CSRF token bound to a session (or pre-session) value."""
        return hmac.new(self.key, f"csrf:{value}".encode(), hashlib.sha256).hexdigest()[:40]


def request_translator(request: Request) -> Translator:
    """The panel's language: the staff member's choice (cookie), else Spanish."""
    return translator(request.cookies.get(LANG_COOKIE) or "es_EC")


@dataclass
class PanelRequest:
    """One request to a signed-in page: the staff member, the transaction, the translator."""

    request: Request
    state: PanelState
    db: AsyncSession
    who: SignedIn
    tr: Translator
    form: dict[str, str]

    @property
    def services(self) -> Services:
        """The application services."""
        return self.state.services

    @property
    def now(self) -> Any:
        """The injected clock's time."""
        return self.state.services.clock()

    @property
    def csrf(self) -> str:
        """This session's CSRF token, for forms."""
        return self.state.csrf_for(self.who.token_hash)

    def render(self, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        """Renders a template with the staff member, the menu, the translator and the CSRF."""
        return render(
            self.state,
            self.request,
            template,
            status_code=status_code,
            who=self.who,
            csrf=self.csrf,
            **values,
        )

    def error_text(self, error: DomainError) -> str:
        """A service error's message in the panel's language."""
        return self.tr.t(error.template, **error.params)


def render(
    state: PanelState,
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    """Renders a panel template (signed in or not)."""
    tr = request_translator(request)
    who: SignedIn | None = values.get("who")
    html = state.env.get_template(template).render(
        t=tr.t,
        tn=tr.tn,
        tr=tr,
        lang=tr.locale,
        prefix=PREFIX,
        nav=NAV,
        role_label=tr.t(ROLE_LABELS[who.scope.role]) if who else "",
        territory=scope_label(who.scope) if who else "",
        path=request.url.path,
        **values,
    )
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def set_cookie(state: PanelState, response: Response, name: str, value: str, max_age: int) -> None:
    """Sets a panel cookie: HttpOnly, SameSite=Lax, Secure outside a local try, path /panel."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="lax",
        secure=state.services.settings.panel_secure_cookies,
    )


def signin_redirect(request: Request) -> Response:
    """Sends someone without a valid session to the sign-in page."""
    target = f"{PREFIX}/entrar"
    if request.headers.get("HX-Request"):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def posted_form(request: Request) -> dict[str, str]:
    """The text fields of a POST's form (an upload's file stays in Starlette's cached form)."""
    if request.method != "POST":
        return {}
    form = await request.form(max_files=1, max_fields=50)
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def csrf_ok(state: PanelState, request: Request, bound_to: str, form: dict[str, str]) -> bool:
    """Whether a POST carries the CSRF token bound to `bound_to`."""
    sent = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD, "")
    return bool(sent) and hmac.compare_digest(sent, state.csrf_for(bound_to))


Handler = Callable[[PanelRequest], Awaitable[Response]]
# The services' refusals: a handler that catches DomainError re-raises these for `page` to answer.
REFUSALS = (PermissionDenied, NotAllowed)


def page(
    state: PanelState, name: str, handler: Handler
) -> Callable[[Request], Awaitable[Response]]:
    """Wraps a page or action with sign-in, CSRF, one transaction, refusals and audit."""

    async def endpoint(request: Request) -> Response:
        services = state.services
        token = request.cookies.get(SESSION_COOKIE, "")
        form = await posted_form(request)
        async with services.session_factory() as db:
            async with db.begin():
                who = (
                    await session_of(db, token, now=services.clock(), policy=state.policy)
                    if token
                    else None
                )
            if who is None:
                return signin_redirect(request)
            if request.method == "POST" and not await csrf_ok(state, request, who.token_hash, form):
                async with db.begin():
                    await _audit_refusal(db, state, who, request, "csrf")
                return _denied(state, request, who, status_code=403)
            ctx = PanelRequest(request, state, db, who, request_translator(request), form)
            try:
                async with db.begin():
                    response = await handler(ctx)
                    if request.method == "POST" and response.status_code < 400:
                        await record(
                            db,
                            at=services.clock(),
                            actor_kind="staff",
                            actor=f"staff:{who.scope.staff_id}",
                            action=f"panel.{name}"[:40],
                            target=request.url.path[:80],
                            outcome="ok",
                        )
            except REFUSALS as error:
                async with db.begin():
                    reason = getattr(error, "reason", "territory")
                    await _audit_refusal(db, state, who, request, reason)
                return _denied(state, request, who, message=ctx.error_text(error))
            except NotFound as missing:
                return ctx.render("message.html", status_code=404, message=ctx.error_text(missing))
            return response

    endpoint.__name__ = f"panel_{name}"
    return endpoint


async def _audit_refusal(
    db: AsyncSession, state: PanelState, who: SignedIn, request: Request, reason: str
) -> None:
    await record(
        db,
        at=state.services.clock(),
        actor_kind="staff",
        actor=f"staff:{who.scope.staff_id}",
        action="staff.denied",
        target=request.url.path[:80],
        outcome=reason,
        detail={"method": request.method, "role": who.scope.role.value},
    )


def _denied(
    state: PanelState,
    request: Request,
    who: SignedIn,
    *,
    message: str | None = None,
    status_code: int = 403,
) -> HTMLResponse:
    return render(
        state,
        request,
        "denied.html",
        status_code=status_code,
        who=who,
        csrf=state.csrf_for(who.token_hash),
        message=message,
    )


def new_presession() -> str:
    """A random value for the sign-in form's CSRF before any session exists."""
    return secrets.token_urlsafe(16)
