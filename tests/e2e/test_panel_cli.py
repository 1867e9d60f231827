"""`python -m bot staff set-password|totp`: the panel's credentials are set from the server."""

from __future__ import annotations

from bot.domain.staff import Role
from bot.services.container import Services
from tests.e2e.test_dialogue_cli import cli
from tests.support.panel import panel_client
from tests.support.staff_accounts import make_scope


async def test_a_password_set_on_the_command_line_signs_in_and_a_short_one_is_refused(
    services: Services, database_url: str
) -> None:
    analyst = await make_scope(services, Role.DISTRICT, district_code="11D06")
    account = str(analyst.staff_id)

    short = cli(database_url, "staff", "set-password", account, "--password", "corta")
    assert short.returncode == 2 and "al menos 10 caracteres" in short.stderr
    done = cli(database_url, "staff", "set-password", account, "--password", "una-clave-larga")
    assert done.returncode == 0, done.stderr
    totp = cli(database_url, "staff", "totp", account)
    assert totp.returncode == 0 and "otpauth://totp/" in totp.stdout

    async with panel_client(services) as visitor:
        without_code = await visitor.sign_in(analyst.staff_id, password="una-clave-larga")
    assert without_code.status_code == 401  # TOTP is now required
