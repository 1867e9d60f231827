"""Signing in to the staff panel: password, TOTP, Telegram code, lockout, cookies, expiry, CSRF."""

from __future__ import annotations

import re

import pyotp
from pydantic import SecretStr
from sqlalchemy import select

from bot.domain.staff import Role
from bot.services.container import Services
from bot.services.panel_auth import enable_totp
from bot.storage.models import AuditEntry, OutboxMessage
from tests.support.clock import FakeClock
from tests.support.panel import PASSWORD, panel_client, signed_in, staff_account


async def _audit(services: Services, action: str) -> list[AuditEntry]:
    async with services.session_factory() as session:
        return list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


async def test_an_analyst_signs_in_with_a_password_and_gets_a_safe_session_cookie(
    services: Services,
) -> None:
    analyst = await staff_account(services, Role.DISTRICT, district_code="11D06")
    async with panel_client(services) as visitor:
        response = await visitor.sign_in(analyst.staff_id)
        assert response.status_code == 303
        cookie = response.headers["set-cookie"]
        assert "panel_sesion=" in cookie and "HttpOnly" in cookie
        assert "SameSite=lax" in cookie and "Path=/panel" in cookie
        # Secure except on a local plain-HTTP try (the suite on PostgreSQL counts as production)
        assert ("Secure" in cookie) is services.settings.is_production
        home = await visitor.get("/panel/")
    assert home.status_code == 200 and "distrito 11D06" in home.text
    entries = await _audit(services, "panel.signin")
    assert [e.outcome for e in entries] == ["ok"]


async def test_cookies_are_secure_behind_https(services: Services) -> None:
    services.settings = services.settings.model_copy(
        update={"public_base_url": "https://conecta.example.gob.ec"}
    )
    analyst = await staff_account(services, Role.DISTRICT, district_code="11D06")
    async with panel_client(services) as visitor:
        await visitor.get("/panel/entrar")
        response = await visitor.post(
            "/panel/entrar", {"cuenta": str(analyst.staff_id), "contrasena": PASSWORD}
        )
    assert "Secure" in response.headers["set-cookie"]


async def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(
    services: Services, clock: FakeClock
) -> None:
    analyst = await staff_account(services, Role.DISTRICT, district_code="11D06")
    async with panel_client(services) as visitor:
        for _ in range(5):
            refused = await visitor.sign_in(analyst.staff_id, password="no-es-la-clave")
            assert refused.status_code == 401
        assert "bloqueada" in refused.text
        right = await visitor.sign_in(analyst.staff_id)
        assert right.status_code == 401 and "bloqueada" in right.text
        clock.advance(minutes=16)
        assert (await visitor.sign_in(analyst.staff_id)).status_code == 303
    outcomes = [e.outcome for e in await _audit(services, "panel.signin")]
    assert outcomes == ["bad_password"] * 4 + ["locked", "while_locked", "ok"]


async def test_an_unknown_account_is_refused_with_the_same_words(services: Services) -> None:
    async with panel_client(services) as visitor:
        response = await visitor.sign_in(999999)
    assert response.status_code == 401
    assert "Cuenta, contraseña o código incorrectos" in response.text


async def test_totp_is_asked_once_enabled(services: Services, clock: FakeClock) -> None:
    admin = await staff_account(services, Role.ADMIN)
    async with services.session_factory() as session, session.begin():
        uri = await enable_totp(session, admin.staff_id, clock())
    secret = re.search(r"secret=([A-Z2-7]+)", uri)
    assert secret is not None
    async with panel_client(services) as visitor:
        assert (await visitor.sign_in(admin.staff_id)).status_code == 401
        code = pyotp.TOTP(secret.group(1)).at(clock())
        assert (await visitor.sign_in(admin.staff_id, totp=code)).status_code == 303


async def test_a_one_time_code_reaches_the_linked_telegram_chat_and_works_once(
    services: Services,
) -> None:
    analyst = await staff_account(
        services, Role.DISTRICT, district_code="11D06", telegram_user_id=424242
    )
    async with panel_client(services) as visitor:
        await visitor.get("/panel/entrar")
        sent = await visitor.post("/panel/entrar/codigo", {"cuenta": str(analyst.staff_id)})
        assert sent.status_code == 200 and "le enviamos un código" in sent.text
        async with services.session_factory() as session:
            message = await session.scalar(
                select(OutboxMessage).where(OutboxMessage.kind == "panel_code")
            )
        assert message is not None and message.channel == "telegram"
        assert message.address == "424242"
        found = re.search(r"\b(\d{6})\b", message.body)
        assert found is not None
        visitor.csrf = re.findall(r'name="csrf" value="([^"]+)"', sent.text)[0]
        data = {"cuenta": str(analyst.staff_id), "codigo": found.group(1)}
        assert (await visitor.post("/panel/entrar/con-codigo", data)).status_code == 303
    async with panel_client(services) as other:
        await other.get("/panel/entrar")
        assert (await other.post("/panel/entrar/con-codigo", data)).status_code == 401


async def test_an_idle_session_expires_and_is_refused(services: Services, clock: FakeClock) -> None:
    analyst = await staff_account(services, Role.DISTRICT, district_code="11D06")
    async with signed_in(services, analyst) as visitor:
        clock.advance(minutes=59)
        assert (await visitor.get("/panel/casos")).status_code == 200  # activity slides it
        clock.advance(minutes=61)
        expired = await visitor.get("/panel/casos")
        assert expired.status_code == 303
        assert expired.headers["location"] == "/panel/entrar"
        posted = await visitor.post("/panel/eventos", {"tipo": "feria"})
        assert posted.status_code == 303
    assert [e.outcome for e in await _audit(services, "panel.session_expired")] == ["expired"]


async def test_a_post_without_the_csrf_token_is_refused_and_audited(services: Services) -> None:
    analyst = await staff_account(services, Role.DISTRICT, district_code="11D06")
    async with signed_in(services, analyst) as visitor:
        response = await visitor.post(
            "/panel/difusiones",
            {"fuente": "beneficiarios", "ambito": "district", "codigo": "11D06", "mensaje": "x"},
            csrf=False,
        )
        forged = await visitor.post(
            "/panel/difusiones", {"csrf": "0" * 40, "mensaje": "x"}, csrf=False
        )
    assert response.status_code == 403 and forged.status_code == 403
    denied = await _audit(services, "staff.denied")
    assert [e.outcome for e in denied] == ["csrf", "csrf"]


async def test_the_sign_in_form_itself_needs_its_csrf_token(services: Services) -> None:
    analyst = await staff_account(services, Role.DISTRICT, district_code="11D06")
    async with panel_client(services) as visitor:
        await visitor.get("/panel/entrar")
        response = await visitor.post(
            "/panel/entrar", {"cuenta": str(analyst.staff_id), "contrasena": PASSWORD}, csrf=False
        )
    assert response.status_code == 403


async def test_signing_out_ends_the_session_on_the_server(services: Services) -> None:
    analyst = await staff_account(services, Role.DISTRICT, district_code="11D06")
    async with signed_in(services, analyst) as visitor:
        cookie = visitor.http.cookies.get("panel_sesion")
        assert (await visitor.post("/panel/salir")).status_code == 303
        visitor.http.cookies.set("panel_sesion", cookie or "", path="/panel")
        assert (await visitor.get("/panel/")).status_code == 303
    assert len(await _audit(services, "panel.signout")) == 1


async def test_production_without_a_session_key_refuses_to_start(services: Services) -> None:
    import pytest

    from bot.config import MissingSetting
    from bot.services.panel_auth import load_session_key

    settings = services.settings.model_copy(
        update={"panel_session_key": None, "telegram_token": SecretStr("1:x")}
    )
    with pytest.raises(MissingSetting) as refused:
        load_session_key(settings)
    assert refused.value.setting == "PANEL_SESSION_KEY"
