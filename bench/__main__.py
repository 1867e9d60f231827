"""Runs every benchmark in `bench/` (see bench/README.md)."""

import sys

print("No benchmarks are registered yet.", file=sys.stderr)
