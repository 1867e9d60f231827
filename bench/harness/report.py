"""One line per figure, the same format for every benchmark: `<name> <metric> <value> <unit>`."""

from __future__ import annotations

import math
import os
import time

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def quick_mode() -> bool:
    """True when BENCH_QUICK asks for the short version of every benchmark."""
    return os.environ.get("BENCH_QUICK", "") not in ("", "0", "false", "no")


def postgres_admin_url() -> str:
    """A PostgreSQL URL allowed to create and drop the throwaway benchmark databases."""
    return os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES)


def cpu_calibration_ms() -> float:
    """Milliseconds of one fixed pure-Python loop (best of 5): how fast this CPU is right now.

    The sandbox's virtual CPUs change speed with the host's load (the same loop took 0.52 s and
    0.71 s of user time within ten minutes); printed next to the figures, this tells which runs
    can be compared. Lower is faster.
    """
    best = math.inf
    for _ in range(5):
        started = time.process_time()
        total = 0
        for i in range(1_000_000):
            total += i
        best = min(best, time.process_time() - started)
    return 1000 * best


def emit(name: str, metric: str, value: float, unit: str) -> None:
    """Prints one figure."""
    shown = "nan" if isinstance(value, float) and math.isnan(value) else f"{value:.2f}"
    if isinstance(value, int):
        shown = str(value)
    print(f"{name:<46} {metric:<15} {shown:>10} {unit}", flush=True)


def verdict(name: str, metric: str, value: float, op: str, limit: float) -> bool:
    """Prints a target line with PASS/FAIL; returns whether it passed."""
    passed = {
        ">=": value >= limit,
        "<": value < limit,
        "==": value == limit,
        "<=": value <= limit,
    }[op]
    shown = f"{value:.2f}" if isinstance(value, float) else str(value)
    print(
        f"TARGET {name:<39} {metric:<15} {shown:>10} {op} {limit:g} {'PASS' if passed else 'FAIL'}",
        flush=True,
    )
    return passed
