"""`staff` commands: create, list and revoke staff accounts; issue Telegram link codes."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from bot.cli.common import fail, load_settings
from bot.config import Settings
from bot.domain.clock import utc_now
from bot.domain.staff import Role
from bot.i18n import SOURCE_LOCALE, Translator
from bot.runtime.composition import audited_session_factory
from bot.services.panel_auth import SignInError, enable_totp, end_sessions_of, set_password
from bot.services.staff import (
    LINK_CODE_TTL,
    StaffError,
    create_staff,
    issue_link_code,
    list_staff,
    revoke_staff,
)
from bot.storage.db import create_engine, create_session_factory

staff_app = typer.Typer(
    help="Cuentas del personal: crear, listar, revocar, vincular.", no_args_is_help=True
)
_tr = Translator(SOURCE_LOCALE)


async def _add(
    settings: Settings, name: str, role: Role, zone: str | None, district: str | None
) -> tuple[int, str]:
    engine = create_engine(settings.database_url)
    try:
        async with audited_session_factory(engine, settings)() as session, session.begin():
            now = utc_now()
            staff = await create_staff(
                session, name=name, role=role, now=now, zone_code=zone, district_code=district
            )
            return staff.id, await issue_link_code(session, staff.id, now)
    finally:
        await engine.dispose()


def _echo_code(staff_id: int, code: str) -> None:
    hours = int(LINK_CODE_TTL.total_seconds() // 3600)
    typer.echo(
        f"Código de vinculación de la cuenta {staff_id}: {code} "
        f"(válido {hours} horas, un solo uso)."
    )
    typer.echo("La persona debe escribir /vincular al bot en Telegram y luego este código.")


@staff_app.command("add")
def add(
    name: Annotated[str, typer.Option(help="nombre completo")],
    role: Annotated[Role, typer.Option(help="admin, zonal, distrital, auditor o tecnico")],
    district: Annotated[str | None, typer.Option(help="distrito (distrital, tecnico)")] = None,
    zone: Annotated[str | None, typer.Option(help="código de zona (zonal)")] = None,
) -> None:
    """Creates a staff account and prints its one-time Telegram link code."""
    settings = load_settings()
    try:
        staff_id, code = asyncio.run(_add(settings, name, role, zone, district))
    except StaffError as error:
        fail(_tr.t(error.template, **error.params))
    _echo_code(staff_id, code)


@staff_app.command("code")
def code(staff_id: Annotated[int, typer.Argument(help="número de la cuenta")]) -> None:
    """Issues a new one-time link code (the previous one stops working)."""
    settings = load_settings()

    async def go() -> str:
        engine = create_engine(settings.database_url)
        try:
            async with audited_session_factory(engine, settings)() as session, session.begin():
                return await issue_link_code(session, staff_id, utc_now())
        finally:
            await engine.dispose()

    try:
        _echo_code(staff_id, asyncio.run(go()))
    except StaffError as error:
        fail(_tr.t(error.template, **error.params))


@staff_app.command("revoke")
def revoke(staff_id: Annotated[int, typer.Argument(help="número de la cuenta")]) -> None:
    """Revokes an account: it can no longer use staff commands."""
    settings = load_settings()

    async def go() -> None:
        engine = create_engine(settings.database_url)
        try:
            async with audited_session_factory(engine, settings)() as session, session.begin():
                await revoke_staff(session, staff_id, utc_now())
        finally:
            await engine.dispose()

    try:
        asyncio.run(go())
    except StaffError as error:
        fail(_tr.t(error.template, **error.params))
    typer.echo(f"Cuenta {staff_id} revocada.")


@staff_app.command("list")
def list_command() -> None:
    """Lists the staff accounts (no Telegram ids are printed)."""
    settings = load_settings()

    async def go() -> list[str]:
        engine = create_engine(settings.database_url)
        try:
            async with create_session_factory(engine)() as session:
                lines = []
                for s in await list_staff(session):
                    state = "vinculada" if s.telegram_user_id else "sin vincular"
                    state = "revocada" if s.revoked_at else state
                    where = s.district_code or s.zone_code or "nacional"
                    lines.append(f"{s.id}\t{s.role}\t{where}\t{state}\t{s.name}")
                return lines
        finally:
            await engine.dispose()

    for line in asyncio.run(go()):
        typer.echo(line)


@staff_app.command("set-password")
def set_password_command(
    staff_id: Annotated[int, typer.Argument(help="número de la cuenta")],
    password: Annotated[
        str,
        typer.Option(
            prompt="Contraseña nueva",
            hide_input=True,
            confirmation_prompt=True,
            help="al menos 10 caracteres (se pide sin mostrarla si no se da)",
        ),
    ],
) -> None:
    """Sets the web panel password of an account (stored as an argon2 hash)."""
    settings = load_settings()

    async def go() -> None:
        engine = create_engine(settings.database_url)
        try:
            async with audited_session_factory(engine, settings)() as session, session.begin():
                now = utc_now()
                await set_password(session, staff_id, password, now)
                await end_sessions_of(session, staff_id, now)
        finally:
            await engine.dispose()

    try:
        asyncio.run(go())
    except SignInError as error:
        fail(_tr.t(error.template, **error.params))
    typer.echo(f"Contraseña del panel de la cuenta {staff_id} guardada; sus sesiones se cerraron.")


@staff_app.command("totp")
def totp_command(staff_id: Annotated[int, typer.Argument(help="número de la cuenta")]) -> None:
    """Turns on the TOTP second factor of an account and prints the otpauth:// URI for its app."""
    settings = load_settings()

    async def go() -> str:
        engine = create_engine(settings.database_url)
        try:
            async with audited_session_factory(engine, settings)() as session, session.begin():
                return await enable_totp(session, staff_id, utc_now())
        finally:
            await engine.dispose()

    try:
        uri = asyncio.run(go())
    except SignInError as error:
        fail(_tr.t(error.template, **error.params))
    typer.echo("Agregue esta cuenta en su aplicación de autenticación (Google Authenticator…):")
    typer.echo(uri)
