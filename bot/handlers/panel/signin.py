"""Sign-in and sign-out pages: password (+ TOTP), or a one-time code sent by Telegram."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.handlers.panel.core import (
    LANG_COOKIE,
    PREFIX,
    PRESESSION_COOKIE,
    SESSION_COOKIE,
    PanelState,
    csrf_ok,
    new_presession,
    posted_form,
    render,
    request_translator,
    set_cookie,
)
from bot.services.panel_auth import (
    SignInError,
    close_session,
    open_session,
    send_sign_in_code,
    sign_in_with_code,
    sign_in_with_password,
    token_hash,
)
from bot.storage.models import Staff

_PRESESSION_SECONDS = 3600
Endpoint = Callable[[Request], Awaitable[Response]]


def _form_page(
    state: PanelState,
    request: Request,
    *,
    error: str | None = None,
    notice: str | None = None,
    account: str = "",
    status_code: int = 200,
) -> Response:
    pre = request.cookies.get(PRESESSION_COOKIE) or new_presession()
    response = render(
        state,
        request,
        "signin.html",
        status_code=status_code,
        csrf=state.csrf_for(pre),
        error=error,
        notice=notice,
        account=account,
    )
    set_cookie(state, response, PRESESSION_COOKIE, pre, _PRESESSION_SECONDS)
    return response


def _account(form: dict[str, str]) -> int | None:
    text = form.get("cuenta", "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


def signin_endpoints(state: PanelState) -> dict[str, Endpoint]:
    """The sign-in, code and sign-out endpoints on the panel's state."""
    services = state.services

    async def show(request: Request) -> Response:
        return _form_page(state, request)

    async def _checked(request: Request) -> dict[str, str] | None:
        form = await posted_form(request)
        pre = request.cookies.get(PRESESSION_COOKIE, "")
        if not pre or not await csrf_ok(state, request, pre, form):
            return None
        return form

    async def _signed_in(request: Request, staff: Staff) -> Response:
        response = RedirectResponse(f"{PREFIX}/", status_code=303)
        async with services.session_factory() as db, db.begin():
            token = await open_session(db, staff, now=services.clock(), policy=state.policy)
        set_cookie(
            state, response, SESSION_COOKIE, token, int(state.policy.absolute.total_seconds())
        )
        response.delete_cookie(PRESESSION_COOKIE, path=PREFIX)
        return response

    async def with_password(request: Request) -> Response:
        tr = request_translator(request)
        form = await _checked(request)
        if form is None:
            return _form_page(
                state, request, error=tr.t("La página venció; intente otra vez."), status_code=403
            )
        account = _account(form)
        error: SignInError | None = None
        staff: Staff | None = None
        async with services.session_factory() as db, db.begin():
            try:
                staff = await sign_in_with_password(
                    db,
                    account or 0,
                    form.get("contrasena", ""),
                    form.get("totp", ""),
                    now=services.clock(),
                    policy=state.policy,
                )
            except SignInError as refused:
                error = refused  # committed: the failure count and its audit entry stay
        if staff is None:
            assert error is not None
            message = tr.t(error.template, **error.params)
            return _form_page(
                state, request, error=message, account=form.get("cuenta", ""), status_code=401
            )
        return await _signed_in(request, staff)

    async def request_code(request: Request) -> Response:
        tr = request_translator(request)
        form = await _checked(request)
        if form is None:
            return _form_page(
                state, request, error=tr.t("La página venció; intente otra vez."), status_code=403
            )
        account = _account(form)
        async with services.session_factory() as db, db.begin():
            try:
                await send_sign_in_code(
                    db,
                    account or 0,
                    now=services.clock(),
                    policy=state.policy,
                    locale=tr.locale,
                )
            except SignInError as refused:
                return _form_page(state, request, error=tr.t(refused.template, **refused.params))
        notice = tr.t(
            "Si la cuenta {account} tiene Telegram vinculado, le enviamos un código. "
            "Escríbalo abajo.",
            account=form.get("cuenta", ""),
        )
        return _form_page(state, request, notice=notice, account=form.get("cuenta", ""))

    async def with_code(request: Request) -> Response:
        tr = request_translator(request)
        form = await _checked(request)
        if form is None:
            return _form_page(
                state, request, error=tr.t("La página venció; intente otra vez."), status_code=403
            )
        account = _account(form)
        error: SignInError | None = None
        staff: Staff | None = None
        async with services.session_factory() as db, db.begin():
            try:
                staff = await sign_in_with_code(
                    db,
                    account or 0,
                    form.get("codigo", ""),
                    now=services.clock(),
                    policy=state.policy,
                )
            except SignInError as refused:
                error = refused
        if staff is None:
            assert error is not None
            message = tr.t(error.template, **error.params)
            return _form_page(
                state, request, error=message, account=form.get("cuenta", ""), status_code=401
            )
        return await _signed_in(request, staff)

    async def sign_out(request: Request) -> Response:
        token = request.cookies.get(SESSION_COOKIE, "")
        form = await posted_form(request)
        response = RedirectResponse(f"{PREFIX}/entrar", status_code=303)
        if token:
            if not await csrf_ok(state, request, token_hash(token), form):
                return Response("CSRF", status_code=403)
            async with services.session_factory() as db, db.begin():
                await close_session(db, token, now=services.clock())
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return response

    async def language(request: Request) -> Response:
        code = request.path_params["code"]
        back = urlsplit(request.headers.get("referer") or "").path
        response = RedirectResponse(back if back.startswith(PREFIX) else f"{PREFIX}/", 303)
        if code in ("es_EC", "en"):
            set_cookie(state, response, LANG_COOKIE, code, 365 * 24 * 3600)
        return response

    return {
        "show": show,
        "with_password": with_password,
        "request_code": request_code,
        "with_code": with_code,
        "sign_out": sign_out,
        "language": language,
    }
