"""The load harness stays runnable: a tiny conversation benchmark end to end (no speed asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_conversation_benchmark_runs_tiny(tmp_path: Path) -> None:
    env = {**os.environ, "BENCH_OUT": str(tmp_path), "BENCH_QUICK": "1"}
    args = ["--citizens", "5", "--rates", "10", "--seconds", "1", "--rows", "300"]
    done = subprocess.run(
        [sys.executable, "-m", "bench.conversation", *args, "--databases", "sqlite"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = {tuple(line.split()[:2]): line.split()[2] for line in done.stdout.splitlines()}
    for run in ("echo", "sqlite/ours"):
        for load in ("saturation-5", "open-10ps"):
            name = f"conversation/{run}/{load}"
            assert float(figures[(name, "throughput")]) > 0
            assert figures[(name, "dropped")] == "0"
            # Off-script replies, apologies or silent updates would print these lines.
            assert (name, "errors") not in figures
    assert ("conversation/sqlite/ours/saturation-5", "vs_echo") in figures
    assert any(line.startswith("TARGET") for line in done.stdout.splitlines())
