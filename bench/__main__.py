"""Runs every benchmark in `bench/` (see bench/README.md): `python -m bench [--quick|--full]`.

A benchmark is any `bench/<name>.py` with an `if __name__ == "__main__":` block. Each one runs
in its own process (`python -m bench.<name>`, so its memory and CPU figures are its own) and
prints one line per figure; BENCH_QUICK=1 (or `--quick`) asks every one for its short version.

`make bench` is the 10-minute run: benchmarks whose own full size cannot fit get the arguments
in `FITTED` (e.g. a 100,000-row registry import instead of 1,000,000); `--full` drops those and
runs every benchmark at its own full size; `--args name="..."` sets one benchmark's arguments.
At the end every `TARGET` line printed by the benchmarks is repeated in one summary with the
total time against its own target, and the exit code is 1 if any target failed.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from bench.harness.report import cpu_calibration_ms, emit

HERE = Path(__file__).resolve().parent
FIRST = ("payment_lookup", "conversation")  # ours first; the others' in name order
TIME_TARGET_SECONDS = 600.0
# Arguments that make a benchmark fit `make bench`'s 10 minutes on the 2-core machine.
# The full-size command for each is in bench/README.md (`python -m bench --full NAME`).
FITTED: dict[str, list[str]] = {
    # 100k beside 1M: the same peak memory shows the import streams; 1M carries the TARGET line.
    "registry_import": ["--sizes", "100000,1000000"],
    "engine_cpu": ["--messages", "2000"],
    "sms_inbound": ["--turns", "600"],
}


def benchmarks() -> list[str]:
    """The benchmark modules present, in run order."""
    found = sorted(
        path.stem
        for path in HERE.glob("*.py")
        if not path.stem.startswith("_") and 'if __name__ == "__main__"' in path.read_text()
    )
    return [n for n in FIRST if n in found] + [n for n in found if n not in FIRST]


def _run(name: str, args: list[str], env: dict[str, str], targets: list[str]) -> int:
    """Runs one benchmark, echoing its lines and keeping its TARGET lines."""
    command = [sys.executable, "-m", f"bench.{name}", *args]
    with subprocess.Popen(
        command, cwd=HERE.parent, env=env, stdout=subprocess.PIPE, text=True, bufsize=1
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            print(line, end="", flush=True)
            if line.startswith("TARGET "):
                targets.append(line.rstrip())
        return child.wait()


def main() -> int:
    """Runs the selected (default: all) benchmarks; returns 1 if one failed to run or missed."""
    parser = argparse.ArgumentParser(description="Runs the MIES Conecta benchmarks.")
    parser.add_argument("--quick", action="store_true", help="short version of every benchmark")
    parser.add_argument("--full", action="store_true", help="every benchmark at its full size")
    parser.add_argument(
        "--args",
        action="append",
        default=[],
        metavar='NAME="ARGS"',
        help='arguments for one benchmark, e.g. --args registry_import="--sizes 1000000"',
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("names", nargs="*", help="only these benchmarks")
    options = parser.parse_args()
    if options.list:
        print("\n".join(benchmarks()))
        return 0
    names = options.names or benchmarks()
    chosen = {} if options.full or options.quick else dict(FITTED)
    for item in options.args:
        name, _, text = item.partition("=")
        chosen[name] = shlex.split(text)
    env = dict(os.environ)
    if options.quick:
        env["BENCH_QUICK"] = "1"
    emit("bench/machine", "cpu_calibration", cpu_calibration_ms(), "ms (before; lower is faster)")
    started = time.perf_counter()
    failed: list[str] = []
    targets: list[str] = []
    for name in names:
        began = time.perf_counter()
        args = chosen.get(name, [])
        if args:
            print(f"{'bench/' + name:<46} {'arguments':<15} {shlex.join(args)}", flush=True)
        code = _run(name, args, env, targets)
        print(f"{'bench/' + name:<46} {'wall_time':<15} {time.perf_counter() - began:>10.2f} s")
        if code != 0:
            failed.append(name)
            print(f"{'bench/' + name:<46} {'exit_code':<15} {code:>10} (failed)")
    total = time.perf_counter() - started
    emit("bench/machine", "cpu_calibration", cpu_calibration_ms(), "ms (after; lower is faster)")
    print(f"{'bench':<46} {'total_time':<15} {total:>10.2f} s")
    print("\n== targets ==")
    for line in targets:
        print(line)
    if not options.quick and not options.names:
        verdict = "PASS" if total < TIME_TARGET_SECONDS else "FAIL"
        line = f"TARGET {'bench':<39} {'total_time':<15} {total:>10.2f} < 600 {verdict}"
        print(line)
        targets.append(line)
    for name in failed:
        print(f"TARGET {'bench/' + name:<39} {'ran':<15} {'no':>10} FAIL")
    missed = [line for line in targets if line.endswith("FAIL")]
    passed = not failed and not missed
    print(
        f"bench {'PASS' if passed else 'FAIL'}: {len(targets) - len(missed)} targets met, "
        f"{len(missed)} missed, {len(failed)} benchmark(s) failed to run"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
