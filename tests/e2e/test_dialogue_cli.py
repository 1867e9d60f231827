"""Staff keep the Tacamoros dialogue from the command line: open it, record the two commitments,
change a status, export the matrices; bad input fails with one clear line."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from bot.domain.staff import Role
from bot.flows.engine import FlowEngine
from bot.services.container import Services
from tests.e2e.test_tacamoros_dialogue import (
    SEED_ALERTS,
    SEED_COMMITMENTS,
    _first_citizen,
    _second_citizen,
)
from tests.support.staff_accounts import make_scope


def cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs `python -m bot ARGS` against the test database."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": database_url},
        timeout=120,
        check=False,
    )


async def test_staff_record_and_export_the_tacamoros_dialogue_from_the_cli(
    services: Services, flow_engine: FlowEngine, database_url: str, tmp_path: Path
) -> None:
    calvas = await make_scope(services, Role.DISTRICT, district_code="11D06")
    staff = ["--staff-id", str(calvas.staff_id)]
    opened = cli(
        database_url,
        "dialogues",
        "open",
        "--parish",
        "Tacamoros",
        "--title",
        "Diálogo Ciudadano Tacamoros 2024-11-21",
        "--held-on",
        "2024-11-21",
        *staff,
    )
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout.startswith("Diálogo 1 abierto")

    await _first_citizen(flow_engine)
    await _second_citizen(flow_engine)

    for proposal, citizens, institution, deadline in SEED_COMMITMENTS[3:]:
        added = cli(
            database_url,
            "dialogues",
            "add-commitment",
            "1",
            "--proposal",
            proposal,
            "--citizens",
            citizens,
            "--institution",
            institution,
            "--deadline",
            deadline,
            "--unit",
            "Dirección Distrital Calvas",
            *staff,
        )
        assert added.returncode == 0, added.stderr
        assert "plazo: Permanente" in added.stdout
    changed = cli(database_url, "dialogues", "commitment-status", "2", "en_curso", *staff)
    assert changed.returncode == 0, changed.stderr
    assert "pendiente → en_curso" in changed.stdout

    for fmt in ("csv", "xlsx"):
        exported = cli(
            database_url,
            "reports",
            "export",
            "--dialogue",
            "1",
            "--format",
            fmt,
            "--out",
            str(tmp_path),
            *staff,
        )
        assert exported.returncode == 0, exported.stderr
        assert "4 respuestas, 2 compromisos, 1 parroquias" in exported.stdout
    with (tmp_path / "dialogo_1_matriz_alertas.csv").open(encoding="utf-8-sig") as handle:
        assert list(csv.reader(handle)) == SEED_ALERTS
    with (tmp_path / "dialogo_1_matriz_compromisos.csv").open(encoding="utf-8-sig") as handle:
        matrix = list(csv.reader(handle))
    assert [row[:4] for row in matrix] == SEED_COMMITMENTS
    assert [row[5] for row in matrix[3:]] == ["Pendiente", "En curso"]
    sheet = load_workbook(tmp_path / "dialogo_1.xlsx")["Compromisos"]
    assert [[c or "" for c in row[:4]] for row in sheet.iter_rows(values_only=True)] == (
        SEED_COMMITMENTS
    )


async def test_cli_refuses_bad_input_with_one_clear_line(
    services: Services, database_url: str, tmp_path: Path
) -> None:
    loja = await make_scope(services, Role.DISTRICT, district_code="11D01")
    cases = [
        (
            ("reports", "export", "--dialogue", "99", "--out", str(tmp_path)),
            "No existe el diálogo 99",
        ),
        (
            ("dialogues", "open", "--parish", "Tacamo", "--title", "x"),
            "Candidatas: 111252 Tacamoros (Sozoranga, Loja)",
        ),
        (
            (
                "dialogues",
                "open",
                "--parish",
                "111252",
                "--title",
                "x",
                "--staff-id",
                str(loja.staff_id),
            ),
            "no pertenece a su territorio",
        ),
    ]
    for args, message in cases:
        result = cli(database_url, *args)
        assert result.returncode == 2, (args, result.stdout)
        assert message in result.stderr
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_cli_argument_mistakes_are_refused_before_touching_the_database(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    runner = CliRunner()
    checks = [
        (["reports", "export", "--out", str(tmp_path)], "Indique --dialogue ID"),
        (
            [
                "reports",
                "export",
                "--out",
                str(tmp_path),
                "--since",
                "2026-02-01",
                "--until",
                "2026-01-01",
            ],
            "--since es posterior a --until",
        ),
        (
            ["reports", "export", "--out", str(tmp_path), "--dialogue", "1", "--format", "pdf"],
            "Formato desconocido",
        ),
        (
            [
                "dialogues",
                "add-commitment",
                "1",
                "--proposal",
                "p",
                "--citizens",
                "c",
                "--institution",
                "i",
                "--unit",
                "u",
                "--deadline",
                "pronto",
            ],
            "Plazo no válido",
        ),
    ]
    for args, message in checks:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, args
        assert message in result.output
