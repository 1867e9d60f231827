"""Monthly beneficiary registry import from CSV: streamed, validated row by row, idempotent.

The file is standard CSV (RFC 4180: `,` between columns, `"` quotes, `""` for a quote inside a
quoted value; `;` only when asked for). A registry row never holds a line break, so the file is
parsed one physical line at a time: a stray quote spoils only its own line, which is reported with
its real number, and never swallows the lines after it. The file is read in batches (never whole
in memory); each valid row is upserted with a dialect-specific
`INSERT … ON CONFLICT (cedula, programme) DO UPDATE … WHERE row_hash differs` (on PostgreSQL the
batch is COPied into a staging table and merged by one such statement: registry_copy.py), so
re-importing the same file changes nothing. A cédula + programme repeated anywhere in the file
is reported and the first row kept, so a re-import stays a no-op. Broken rows are written to an
error report (line, column, reason) as they are found and the rest is imported. What a line
must hold, and why a value is refused, is `bot.domain.registry_rows`; the same checks at speed
(the common valid row in one pass, the rest through the precise ones) and the batches are
`bot.domain.registry_fast_path`; this module reads the file in 1 MB blocks and writes.

Failure policy: **roll back**. All data rows of one import are written in ONE transaction; if
anything unexpected fails (database down, disk full), the transaction is rolled back and the
database is exactly as before. The `import_runs` row is written in separate, short transactions
(running → done | rolled_back) so the failure itself is recorded. See docs/registry-csv.md.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert as insert_stmt
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.domain.registry import REGISTRY_COLUMNS
from bot.domain.registry_fast_path import Batch, CheckedRow, EarlierKeys, checked_batches
from bot.domain.registry_rows import REQUIRED_VALUES, RowError, line_text, parse_line
from bot.services.registry_copy import merging
from bot.services.registry_keys import DiskKeys
from bot.storage.models import Beneficiary, ImportRun, Parish
from bot.storage.upsert import dialect_insert

log = logging.getLogger(__name__)

# Only these must be in the header; a missing optional column reads as empty in every row.
REQUIRED_COLUMNS = REQUIRED_VALUES
DELIMITERS = (",", ";")
ERROR_COLUMNS = ("linea", "columna", "motivo")
DEFAULT_BATCH_ROWS = 5000
# One multi-row INSERT per chunk: 16 bound values a row stays under SQLite's 32,766 and
# asyncpg's 32,767 parameter limits.
STATEMENT_ROWS = 1000
BLOCK_BYTES = 1 << 20  # read at a time (≈ 7,000 lines): one decode, one split
_UPSERT_KEYS = (*REGISTRY_COLUMNS, "row_hash", "updated_at")


class ImportFileError(Exception):
    """The file cannot be imported at all (missing, not UTF-8 CSV, missing columns)."""


class ImportRolledBack(Exception):
    """The import failed midway and was rolled back: the database did not change."""

    def __init__(self, run_id: int | None, line: int, cause: BaseException) -> None:
        super().__init__(f"import rolled back at line {line}: {type(cause).__name__}")
        self.run_id = run_id
        self.line = line
        self.cause = cause


@dataclass
class ImportSummary:
    """What an import did: rows read, valid, changed, failed, and where the report is."""

    run_id: int | None
    file_name: str
    dry_run: bool
    rows_read: int = 0
    rows_valid: int = 0
    rows_changed: int = 0
    rows_failed: int = 0
    errors_path: str | None = None
    summary_path: str | None = None
    first_errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-ready values."""
        data = asdict(self)
        data["first_errors"] = [asdict(e) for e in self.first_errors]
        return data


ProgressCallback = Callable[[int], None]


def _open_csv(path: Path, delimiter: str) -> tuple[io.BufferedReader, list[str]]:
    """Opens the file and reads its header; raises `ImportFileError` when it cannot be read."""
    if not path.is_file():
        raise ImportFileError(f"No existe el archivo {path}.")
    if delimiter not in DELIMITERS:
        raise ImportFileError(f"Separador no admitido: «{delimiter}». Use , (estándar) o ;.")
    raw = path.open("rb")
    try:
        first = line_text(raw.readline(), first=True)
        header = [h.strip().lower() for h in parse_line(first, delimiter)]
    except (UnicodeDecodeError, csv.Error):
        raw.close()
        raise ImportFileError(
            "El encabezado no se puede leer: el archivo debe ser CSV en UTF-8."
        ) from None
    other = ";" if delimiter == "," else ","
    if len(header) == 1 and other in header[0]:
        raw.close()
        raise ImportFileError(
            f"El encabezado está separado por «{other}», no por «{delimiter}». "
            + ("Indique --delimiter ';'." if other == ";" else "Quite --delimiter.")
            + " Vea docs/registry-csv.md para el formato."
        )
    return raw, header


def check_header(fields: list[str], expected: tuple[str, ...]) -> None:
    """Raises `ImportFileError` when the header lacks a required column."""
    missing = [c for c in expected if c not in fields]
    if missing:
        raise ImportFileError(
            "Faltan columnas en el encabezado: "
            + ", ".join(missing)
            + ". Vea docs/registry-csv.md para el formato."
        )


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _blocks(raw: io.BufferedReader) -> Iterator[bytes]:
    """The rest of the file in blocks of about `BLOCK_BYTES`, each ending at a line break."""
    while block := raw.read(BLOCK_BYTES):
        if not block.endswith(b"\n"):
            block += raw.readline()
        yield block


def _batches(
    raw: io.BufferedReader,
    header: list[str],
    parishes: frozenset[str],
    size: int,
    *,
    delimiter: str = ",",
    today: date | None = None,
    earlier: EarlierKeys | None = None,
) -> Iterator[Batch]:
    """Yields (valid rows, errors, rows read, last line) per batch of at most `size` rows.

    The checks (and the repeat of a cédula + programme) are `checked_batches`'; `earlier`
    holds the keys of the batches before (on disk in an import: `DiskKeys`).
    """
    return checked_batches(
        _blocks(raw), header, parishes, size, delimiter=delimiter, today=today, earlier=earlier
    )


async def _upsert(conn: AsyncConnection, rows: list[CheckedRow], now: datetime) -> int:
    """Inserts new rows and updates changed ones; returns how many rows changed.

    One cached statement executed with many parameter sets: SQLAlchemy's "insertmanyvalues"
    batches it into multi-row INSERTs; RETURNING yields only rows inserted or updated (the
    WHERE on the conflict clause skips unchanged ones), which is the count of changes.
    """
    base = dialect_insert(conn.dialect.name)(Beneficiary)
    excluded = base.excluded
    stmt = base.on_conflict_do_update(
        index_elements=[Beneficiary.cedula, Beneficiary.programme],
        set_={c: excluded[c] for c in (*REGISTRY_COLUMNS, "row_hash", "updated_at")},
        where=Beneficiary.row_hash != excluded.row_hash,
    ).returning(Beneficiary.id)
    changed = 0
    stamp = (now,)
    for start in range(0, len(rows), STATEMENT_ROWS):
        chunk = [
            dict(zip(_UPSERT_KEYS, r[:16] + stamp, strict=True))
            for r in rows[start : start + STATEMENT_ROWS]
        ]
        result = await conn.execute(stmt, chunk)
        changed += len(result.all())
    return changed


async def _parish_codes(engine: AsyncEngine) -> frozenset[str]:
    async with engine.connect() as conn:
        return frozenset(await conn.scalars(select(Parish.code)))


async def _start_run(
    engine: AsyncEngine, path: Path, sha: str, now: datetime, staff_id: int | None, kind: str
) -> int:
    async with engine.begin() as conn:
        result = await conn.execute(
            insert_stmt(ImportRun)
            .values(
                kind=kind,
                file_name=path.name[:255],
                file_sha256=sha,
                status="running",
                rows_read=0,
                rows_changed=0,
                rows_failed=0,
                last_line_committed=0,
                started_at=now,
                staff_id=staff_id,
            )
            .returning(ImportRun.id)
        )
        return int(result.scalar_one())


async def finish_run(
    engine: AsyncEngine,
    run_id: int,
    *,
    status: str,
    now: datetime,
    rows_read: int,
    rows_changed: int,
    rows_failed: int,
    last_line: int,
) -> None:
    """Records the outcome of an import run in its own short transaction."""
    async with engine.begin() as conn:
        await conn.execute(
            update(ImportRun)
            .where(ImportRun.id == run_id)
            .values(
                status=status,
                rows_read=rows_read,
                rows_changed=rows_changed,
                rows_failed=rows_failed,
                last_line_committed=last_line,
                finished_at=now,
            )
        )


def report_paths(path: Path) -> tuple[Path, Path]:
    """Where the error report and the summary of importing `path` are written."""
    return (
        path.with_name(path.stem + ".errores.csv"),
        path.with_name(path.stem + ".resumen.json"),
    )


async def import_registry(
    engine: AsyncEngine,
    path: Path,
    *,
    now: datetime,
    dry_run: bool = False,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    staff_id: int | None = None,
    progress: ProgressCallback | None = None,
    errors_path: Path | None = None,
    delimiter: str = ",",
) -> ImportSummary:
    """Imports the registry CSV at `path`; all or nothing for the data, row errors reported.

    `delimiter` is `,` (RFC 4180, the default) or `;`. `progress` is called with the bytes read
    so far after each batch. Raises `ImportFileError` before touching the database, or
    `ImportRolledBack` when the data transaction failed.
    """
    default_errors, summary_path = report_paths(path)
    errors_path = errors_path or default_errors
    raw, header = _open_csv(path, delimiter)
    today = now.astimezone(UTC).date() if now.tzinfo else now.date()
    try:
        check_header(header, REQUIRED_COLUMNS)
        sha = _file_sha256(path)
        parishes = await _parish_codes(engine)
        summary = ImportSummary(
            run_id=None,
            file_name=path.name,
            dry_run=dry_run,
            errors_path=str(errors_path),
            summary_path=str(summary_path),
        )
        if not dry_run:
            summary.run_id = await _start_run(engine, path, sha, now, staff_id, "registry")
        last_line = 1
        with errors_path.open("w", encoding="utf-8", newline="") as report, DiskKeys() as keys:
            writer = csv.writer(report)
            writer.writerow(ERROR_COLUMNS)
            try:
                # On PostgreSQL a batch is COPied and merged (registry_copy.py), else upserted.
                async with (
                    engine.begin() as conn,
                    merging(conn, enabled=not dry_run) as merger,
                ):
                    batches = _batches(
                        raw,
                        header,
                        parishes,
                        batch_rows,
                        delimiter=delimiter,
                        today=today,
                        earlier=keys,
                    )
                    for rows, errors, read, line in batches:
                        last_line = line
                        summary.rows_read += read
                        summary.rows_valid += len(rows)
                        failed_lines = {e.line for e in errors}
                        summary.rows_failed += len(failed_lines)
                        for error in errors:
                            writer.writerow((error.line, error.column, error.reason))
                            if len(summary.first_errors) < 20:
                                summary.first_errors.append(error)
                        if merger is not None:
                            summary.rows_changed += await merger.submit(rows, now)
                        elif not dry_run and rows:
                            summary.rows_changed += await _upsert(conn, rows, now)
                        if progress is not None:
                            progress(raw.tell())
                    if merger is not None:
                        summary.rows_changed += await merger.finish()
            except Exception as error:
                if summary.run_id is not None:
                    await finish_run(
                        engine,
                        summary.run_id,
                        status="rolled_back",
                        now=now,
                        rows_read=summary.rows_read,
                        rows_changed=0,
                        rows_failed=summary.rows_failed,
                        last_line=0,
                    )
                log.error("registry import rolled back near line %s", last_line)
                raise ImportRolledBack(summary.run_id, last_line, error) from error
        if summary.run_id is not None:
            await finish_run(
                engine,
                summary.run_id,
                status="done",
                now=now,
                rows_read=summary.rows_read,
                rows_changed=summary.rows_changed,
                rows_failed=summary.rows_failed,
                last_line=last_line,
            )
        summary_path.write_text(
            json.dumps(summary.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8"
        )
        return summary
    finally:
        raw.close()
