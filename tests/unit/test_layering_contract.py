"""The floors of the house are a contract `make lint` checks (Import Linter, pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def _copy_of_the_house(tmp_path: Path) -> Path:
    for package in ("bot", "notificaciones"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is a dev dependency")
def test_the_house_keeps_every_layering_contract(tmp_path: Path) -> None:
    result = _lint(_copy_of_the_house(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is a dev dependency")
@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        ("bot/storage/db.py", "import bot.services.audit", "Floors read one way"),
        ("notificaciones/outbox.py", "import bot.flows.engine", "Floors read one way"),
        ("bot/services/cases.py", "import telegram", "Only the Telegram adapters"),
        ("bot/flows/engine.py", "import twilio", "Only the Twilio gateway"),
        ("bot/domain/text.py", "import sqlalchemy", "The domain, settings and translations"),
        ("bot/flows/citizen/office.py", "import bot.flows.staff.access", "Citizen and staff"),
        ("bot/domain/registry_rows.py", "import bot.storage.models", "The domain, settings"),
        ("notificaciones/outbox_states.py", "import bot.services.audit", "Floors read one way"),
        ("bot/storage/upsert.py", "import notificaciones.outbox", "Floors read one way"),
    ],
)
def test_an_import_running_back_up_breaks_the_lint(
    tmp_path: Path, module: str, bad_import: str, contract: str
) -> None:
    tree = _copy_of_the_house(tmp_path)
    target = tree / module
    target.write_text(target.read_text() + f"\n{bad_import}  # noqa\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert contract in result.stdout
    assert "BROKEN" in result.stdout
