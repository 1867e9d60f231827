"""`python -m bot export delivery|audit`: files written, contacts masked, --full refused."""

from __future__ import annotations

import csv
from pathlib import Path

from bot.domain.staff import Role
from bot.services.container import Services
from notificaciones.outbox import enqueue
from tests.e2e.test_dialogue_cli import cli
from tests.support.staff_accounts import make_scope


async def test_exports_from_the_command_line(
    services: Services, database_url: str, tmp_path: Path
) -> None:
    now = services.clock()
    async with services.session_factory() as session, session.begin():
        await enqueue(
            session,
            channel="sms",
            address="+593991234567",
            body="Aviso",
            kind="broadcast",
            dedupe_key="cli:1",
            due_at=now,
            now=now,
        )
    auditor = await make_scope(services, Role.AUDITOR)

    done = cli(database_url, "export", "delivery", "--out", str(tmp_path), "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert "1 mensajes exportados" in done.stdout
    with (tmp_path / "entregas.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[1][3] == "'+5939****567"

    refused = cli(
        database_url,
        "export",
        "delivery",
        "--out",
        str(tmp_path),
        "--full",
        "--staff-id",
        str(auditor.staff_id),
    )
    assert refused.returncode == 2 and "no permite esta acción" in refused.stderr

    audit = cli(
        database_url,
        "export",
        "audit",
        "--out",
        str(tmp_path),
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-30",
        "--staff-id",
        str(auditor.staff_id),
    )
    assert audit.returncode == 0, audit.stderr
    assert (tmp_path / "auditoria_2026-11-01_2026-11-30.xlsx").is_file()

    bad = cli(database_url, "export", "audit", "--out", str(tmp_path), "--since", "ayer")
    assert bad.returncode == 2 and "Fecha no válida" in bad.stderr

    helped = cli(database_url, "--help")
    assert "scheduler" in helped.stdout and "web" in helped.stdout
