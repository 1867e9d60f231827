"""One line per figure, the same format for every benchmark: `<name> <metric> <value> <unit>`."""

from __future__ import annotations

import math
import os

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def quick_mode() -> bool:
    """True when BENCH_QUICK asks for the short version of every benchmark."""
    return os.environ.get("BENCH_QUICK", "") not in ("", "0", "false", "no")


def postgres_admin_url() -> str:
    """A PostgreSQL URL allowed to create and drop the throwaway benchmark databases."""
    return os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES)


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
