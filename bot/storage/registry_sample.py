"""Fictitious registry rows in the import CSV schema, for tests and the import benchmark.

Every person is invented; cédulas are valid-looking numbers (province 11, correct check digit).
Rows are generated lazily so a million of them never sit in memory.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from bot.domain.registry import REGISTRY_COLUMNS

SAMPLE_PARISHES = ("111252", "110101", "110102", "110103")
_STATUSES = (
    ("activo", ""),
    ("activo", ""),
    ("activo", ""),
    ("suspendido", "corresp_matricula"),
    ("no_habilitado", "rs_desactualizado"),
    ("dado_de_baja", "afiliacion_iess"),
)


def sample_cedula(n: int) -> str:
    """The n-th fictitious cédula (n < 6,000,000): '11' + 7 digits + mod-10 check digit."""
    body = f"11{n:07d}"
    total = 0
    for index, char in enumerate(body):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return body + str((10 - total % 10) % 10)


def sample_row(n: int, *, status_shift: int = 0) -> dict[str, str]:
    """One valid registry row for person `n`; `status_shift` varies the status (for updates)."""
    status, reason = _STATUSES[(n + status_shift) % len(_STATUSES)]
    return {
        "cedula": sample_cedula(n),
        "names": f"Persona Ficticia {n}",
        "birth_date": f"{1950 + n % 50}-{1 + n % 12:02d}-{1 + n % 28:02d}",
        "fingerprint_code": f"V{n % 10000:04d}V{(n * 7) % 10000:04d}",
        "mobile": f"099{n % 10_000_000:07d}",
        "parish_code": SAMPLE_PARISHES[n % len(SAMPLE_PARISHES)],
        "programme": "BDH" if n % 5 else "MMA",
        "status": status,
        "reason_code": reason,
        "amount": "55.00" if n % 5 else "100.00",
        "last_payment_date": "2026-10-15",
        "next_payment_date": "2026-11-15" if status == "activo" else "",
        "collection_point": "BanEcuador Sozoranga",
        "children_birth_dates": "",
        "pending_conditions": "",
    }


def sample_rows(count: int, *, start: int = 0) -> Iterator[dict[str, str]]:
    """Yields `count` valid rows, lazily."""
    for n in range(start, start + count):
        yield sample_row(n)


def write_csv(path: Path, rows: Iterator[dict[str, str]]) -> int:
    """Streams `rows` to a CSV file with the registry header; returns how many were written."""
    written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=REGISTRY_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            written += 1
    return written
