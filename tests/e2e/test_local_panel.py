"""`make run` without tokens serves the panel beside the console chat with a demo account."""

from __future__ import annotations

import re

import httpx
import pytest

from bot.runtime.panel import local_panel
from bot.services.container import Services


async def test_the_local_try_serves_the_panel_and_prints_a_demo_account_that_signs_in(
    services: Services,
) -> None:
    if services.settings.is_production:
        pytest.skip("a local try runs on SQLite; with PostgreSQL the demo panel is off by design")
    lines: list[str] = []
    async with local_panel(services, write=lines.append, port=0) as url:
        assert url is not None
        printed = re.search(r"cuenta (\d+), contraseña (\S+)", lines[0])
        assert printed is not None
        async with httpx.AsyncClient(base_url=url.removesuffix("/panel/")) as client:
            page = await client.get("/panel/entrar")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf is not None
            signed = await client.post(
                "/panel/entrar",
                data={
                    "csrf": csrf.group(1),
                    "cuenta": printed.group(1),
                    "contrasena": printed.group(2),
                },
            )
            home = await client.get("/panel/")
    assert signed.status_code == 303 and home.status_code == 200
    assert "Cuenta de demostración" in home.text


async def test_production_serves_no_demo_panel(services: Services) -> None:
    from pydantic import SecretStr

    services.settings = services.settings.model_copy(update={"telegram_token": SecretStr("1:x")})
    lines: list[str] = []
    async with local_panel(services, write=lines.append, port=0) as url:
        assert url is None
    assert lines == []
