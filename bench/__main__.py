"""Runs every benchmark in `bench/` (see bench/README.md): `python -m bench [--quick]`.

A benchmark is any `bench/<name>.py` with an `if __name__ == "__main__":` block. Each one runs
in its own process (`python -m bench.<name>`, so its memory and CPU figures are its own) and
prints one line per figure; BENCH_QUICK=1 (or `--quick`) asks every one for its short version.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIRST = ("payment_lookup", "conversation")  # ours first; the others' in name order


def benchmarks() -> list[str]:
    """The benchmark modules present, in run order."""
    found = sorted(
        path.stem
        for path in HERE.glob("*.py")
        if not path.stem.startswith("_") and 'if __name__ == "__main__"' in path.read_text()
    )
    return [n for n in FIRST if n in found] + [n for n in found if n not in FIRST]


def main() -> int:
    """Runs the selected (default: all) benchmarks; returns non-zero if one failed to run."""
    parser = argparse.ArgumentParser(description="Runs the MIES Conecta benchmarks.")
    parser.add_argument("--quick", action="store_true", help="short version of every benchmark")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("names", nargs="*", help="only these benchmarks")
    args = parser.parse_args()
    names = args.names or benchmarks()
    if args.list:
        print("\n".join(benchmarks()))
        return 0
    env = dict(os.environ)
    if args.quick:
        env["BENCH_QUICK"] = "1"
    started = time.perf_counter()
    failed = []
    for name in names:
        began = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", f"bench.{name}"], cwd=HERE.parent, env=env)
        print(f"{'bench/' + name:<46} {'wall_time':<15} {time.perf_counter() - began:>10.2f} s")
        if code != 0:
            failed.append(name)
            print(f"{'bench/' + name:<46} {'exit_code':<15} {code:>10} (failed)")
    print(f"{'bench':<46} {'total_time':<15} {time.perf_counter() - started:>10.2f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
