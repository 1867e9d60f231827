"""The console chat answers and exits cleanly; the CLI lists its commands and fails clearly."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

from bot.flows.engine import FlowEngine
from bot.handlers.console import run_console


def _script(lines: list[str | None]) -> Iterator[str | None]:
    yield from lines


async def test_console_answers_a_first_message_and_exits_on_salir(flow_engine: FlowEngine) -> None:
    lines = _script(["hola", "salir"])
    out: list[str] = []

    async def read() -> str | None:
        return next(lines)

    await run_console(flow_engine, read, out.append)
    assert any("¿En qué le puedo ayudar?" in line for line in out)
    assert out[-1] == "Hasta pronto."


async def test_console_exits_on_end_of_input(flow_engine: FlowEngine) -> None:
    out: list[str] = []

    async def read() -> str | None:
        return None

    await run_console(flow_engine, read, out.append)
    assert out[-1] == "Hasta pronto."


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def test_help_lists_the_commands() -> None:
    result = _cli("--help")
    assert result.returncode == 0
    for command in ("run", "console", "db", "data"):
        assert command in result.stdout
    assert "upgrade" in _cli("db", "--help").stdout
    assert "load" in _cli("data", "--help").stdout


def test_missing_telegram_token_is_one_clear_line(tmp_path: object) -> None:
    result = _cli("run", "--channel", "telegram", env={"TELEGRAM_TOKEN": ""})
    assert result.returncode == 2
    assert "TELEGRAM_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_malformed_setting_is_one_clear_line() -> None:
    result = _cli("db", "upgrade", env={"CONVERSATION_TIMEOUT_MINUTES": "mucho"})
    assert result.returncode == 2
    assert "CONVERSATION_TIMEOUT_MINUTES" in result.stderr
    assert "Traceback" not in result.stderr
