"""Driving the staff panel like a browser without one: httpx against the ASGI app.

`PanelClient` keeps the cookies, reads each page's CSRF token from its forms and posts forms the
way the pages do; `staff_account` creates an account with a panel password.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from bot.domain.staff import Role, StaffScope
from bot.handlers.web import build_app
from bot.services.container import Services
from bot.services.panel_auth import set_password
from bot.services.staff import create_staff

PASSWORD = "clave-de-prueba-larga"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def staff_account(
    services: Services,
    role: Role,
    *,
    district_code: str | None = None,
    zone_code: str | None = None,
    name: str = "Persona del panel",
    password: str = PASSWORD,
    telegram_user_id: int | None = None,
) -> StaffScope:
    """Creates a staff account with a panel password; returns its scope."""
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        staff = await create_staff(
            session, name=name, role=role, now=now, zone_code=zone_code, district_code=district_code
        )
        staff.telegram_user_id = telegram_user_id
        await set_password(session, staff.id, password, now)
        return StaffScope(staff.id, role, staff.zone_code, staff.district_code)


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _CSRF.search(html)
    assert match is not None, "the page has no form with a CSRF token"
    return match.group(1)


class PanelClient:
    """A signed-in (or not) visitor of the panel."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.http = client
        self.csrf = ""

    async def get(self, path: str, **kwargs: object) -> httpx.Response:
        """GETs a page and remembers its CSRF token, if it has forms."""
        response = await self.http.get(path, **kwargs)  # type: ignore[arg-type]
        match = _CSRF.search(response.text)
        if match:
            self.csrf = match.group(1)
        return response

    async def post(
        self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True, **kwargs: object
    ) -> httpx.Response:
        """POSTs a form with (by default) the last CSRF token seen."""
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf", self.csrf)
        return await self.http.post(path, data=form, **kwargs)  # type: ignore[arg-type]

    async def sign_in(
        self, account: int, password: str = PASSWORD, totp: str = ""
    ) -> httpx.Response:
        """Opens the sign-in page and signs in with a password."""
        await self.get("/panel/entrar")
        response = await self.post(
            "/panel/entrar", {"cuenta": str(account), "contrasena": password, "totp": totp}
        )
        if response.status_code == 303:
            await self.get("/panel/")
        return response


@asynccontextmanager
async def panel_client(services: Services) -> AsyncIterator[PanelClient]:
    """A visitor of the web app built on `services` (no sockets)."""
    transport = httpx.ASGITransport(app=build_app(services))
    # https: the cookies are Secure whenever the settings look like production (PostgreSQL).
    async with httpx.AsyncClient(transport=transport, base_url="https://127.0.0.1:8080") as client:
        yield PanelClient(client)


@asynccontextmanager
async def signed_in(services: Services, scope: StaffScope) -> AsyncIterator[PanelClient]:
    """A visitor already signed in as the account of `scope`."""
    async with panel_client(services) as visitor:
        response = await visitor.sign_in(scope.staff_id)
        assert response.status_code == 303, response.text
        yield visitor
