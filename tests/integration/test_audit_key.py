"""The audit pseudonym key: a secret setting in production, generated once for a local try."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import MissingSetting, Settings
from bot.runtime.composition import build_services
from bot.services.audit import AuditKeyMissing, pseudonym, record
from bot.services.audit_key import key_file_for, load_audit_key
from bot.services.container import Services
from bot.storage.db import create_engine, create_session_factory
from bot.storage.models import AuditEntry
from tests.support.clock import FakeClock

CEDULA = "1100000019"
OLD_PUBLIC_PEPPER = b"mies-conecta-audit-v1"  # the key that used to be in the source


def _settings(database_url: str, **values: object) -> Settings:
    values.setdefault("audit_pseudonym_key", None)
    return Settings(_env_file=None, database_url=database_url, **values)  # type: ignore[call-arg,arg-type]


@pytest.mark.parametrize(
    "values",
    [
        {"telegram_token": "123:ABC"},
        {"twilio_account_sid": "AC" + "0" * 32, "twilio_auth_token": "x"},
        {"database_url": "postgresql+asyncpg://mies@db.example/mies"},
    ],
    ids=["telegram", "twilio", "postgresql"],
)
async def test_production_without_the_audit_key_refuses_to_start(
    values: dict[str, object], tmp_path: Path
) -> None:
    url = str(values.pop("database_url", f"sqlite:///{tmp_path}/mies.db"))
    with pytest.raises(MissingSetting) as missing:
        await build_services(_settings(url, **values))
    assert missing.value.setting == "AUDIT_PSEUDONYM_KEY"
    assert not (tmp_path / "mies.db.audit-key").exists()


def test_a_short_audit_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MissingSetting, match="16 caracteres"):
        load_audit_key(_settings(f"sqlite:///{tmp_path}/m.db", audit_pseudonym_key="corta"))


def test_a_local_try_generates_the_key_once_privately_and_keeps_it(tmp_path: Path) -> None:
    settings = _settings(f"sqlite+aiosqlite:///{tmp_path}/mies_conecta.db")

    first = load_audit_key(settings)
    again = load_audit_key(settings)

    path = key_file_for(settings.database_url)
    assert path == tmp_path / "mies_conecta.db.audit-key"
    assert path.read_text(encoding="ascii").strip().encode() == first == again
    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    ignored = (Path(__file__).parents[2] / ".gitignore").read_text(encoding="utf-8")
    assert "*.audit-key" in ignored.splitlines()


async def test_masked_cedulas_in_the_audit_log_cannot_be_recomputed_without_the_secret_key(
    services: Services,
) -> None:
    async with services.session_factory() as session, session.begin():
        await record(
            session,
            at=services.clock(),
            actor_kind="citizen",
            actor=CEDULA,
            action="payment_status_lookup",
        )
    async with services.session_factory() as session:
        stored = await session.scalar(select(AuditEntry.actor_ref))
    assert stored is not None
    secret = services.settings.audit_pseudonym_key
    assert secret is not None
    assert stored == pseudonym(CEDULA, secret.get_secret_value().encode())
    assert stored != pseudonym(CEDULA, OLD_PUBLIC_PEPPER)
    assert stored != pseudonym(CEDULA, b"another-deployment-key")


async def test_a_session_without_the_key_refuses_to_write_an_audit_entry(
    services: Services,
) -> None:
    engine = create_engine(services.settings.database_url)
    try:
        async with create_session_factory(engine)() as session:
            with pytest.raises(AuditKeyMissing):
                await record(
                    session, at=services.clock(), actor_kind="staff", actor="staff:1", action="x"
                )
    finally:
        await engine.dispose()


async def test_the_same_local_database_gives_the_same_pseudonyms_after_a_restart(
    database_url: str, clock: FakeClock
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the generated key is for a local SQLite try")
    settings = _settings(database_url)
    for _ in range(2):  # two runs of the product on the same database
        built = await build_services(settings, clock=clock)
        async with built.session_factory() as session, session.begin():
            await record(
                session, at=clock(), actor_kind="citizen", actor=CEDULA,
                action="payment_status_lookup",
            )  # fmt: skip
        async with built.session_factory() as session:
            refs = list(await session.scalars(select(AuditEntry.actor_ref)))
        await built.close()
    assert len(refs) == 2 and refs[0] == refs[1]
