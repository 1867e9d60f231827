"""Monthly beneficiary registry import from CSV: streamed, validated row by row, idempotent.

The file is standard CSV (RFC 4180: `,` between columns, `"` quotes, `""` for a quote inside a
quoted value; `;` only when asked for). A registry row never holds a line break, so the file is
parsed one physical line at a time: a stray quote spoils only its own line, which is reported with
its real number, and never swallows the lines after it. The file is read in batches (never whole
in memory); each valid row is upserted with a dialect-specific
`INSERT … ON CONFLICT (cedula, programme) DO UPDATE … WHERE row_hash differs`, so re-importing the
same file changes nothing. A cédula + programme repeated anywhere in the file is reported and the
first row kept, so a re-import stays a no-op. Broken rows are written to an error report (line,
column, reason) as they are found and the rest is imported.

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
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import phonenumbers
from sqlalchemy import insert as insert_stmt
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.domain.corresponsabilidad import (
    InvalidConditions,
    format_pending_conditions,
    parse_birth_dates,
    parse_pending_conditions,
)
from bot.domain.errors import N_, InvalidCedula, InvalidPhone
from bot.domain.identity import VALID_PROVINCES, parse_cedula, parse_phone
from bot.domain.registry import REGISTRY_COLUMNS, PaymentStatus, Programme, is_known_reason
from bot.storage.models import Beneficiary, ImportRun, Parish

log = logging.getLogger(__name__)

REQUIRED_VALUES = ("cedula", "names", "programme", "status")
# Only these must be in the header; a missing optional column reads as empty in every row.
REQUIRED_COLUMNS = REQUIRED_VALUES
DELIMITERS = (",", ";")
_PROGRAMME_INDEX = {name: index for index, name in enumerate(Programme.__members__)}
ERROR_COLUMNS = ("linea", "columna", "motivo")
DEFAULT_BATCH_ROWS = 5000
# One multi-row INSERT per chunk: 16 bound values a row stays under SQLite's 32,766 and
# asyncpg's 32,767 parameter limits.
STATEMENT_ROWS = 1000
MAX_AMOUNT = Decimal("10000")
_FINGERPRINT = re.compile(r"[A-Z0-9]{6,12}")
# Fast path for the common case, from the same phonenumbers metadata `parse_phone` uses: a plain
# Ecuadorian mobile (09…, 5939…, +5939…) whose national number matches the mobile pattern.
# Anything else goes through `parse_phone` for its precise reason. (~5× faster on 1 M rows.)
_EC_MOBILE_SHAPE = re.compile(r"(?:0|\+?593)(9\d{8})")
_EC_METADATA = phonenumbers.PhoneMetadata.metadata_for_region("EC")
assert _EC_METADATA is not None and _EC_METADATA.mobile is not None
_EC_MOBILE = re.compile(str(_EC_METADATA.mobile.national_number_pattern))


def mobile_e164(raw: str) -> str:
    """Validates a mobile with `parse_phone(require_mobile=True)` semantics; returns E.164."""
    shape = _EC_MOBILE_SHAPE.fullmatch(raw)
    if shape is not None and _EC_MOBILE.fullmatch(shape.group(1)):
        return "+593" + shape.group(1)
    return parse_phone(raw, require_mobile=True).e164


# Fast path for a plain 10-digit cédula: the same checks as `parse_cedula` (province, third
# digit 0–5, stdnum's mod-10 check digit) with a lookup table instead of stdnum's generic
# cleaning; anything else goes through `parse_cedula` for its precise reason. A hypothesis test
# proves both agree.
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # 2·d, minus 9 when above 9
_ZERO = ord("0")


def cedula_value(raw: str) -> str:
    """Validates a cédula with `parse_cedula` semantics; returns its 10 digits."""
    if len(raw) == 10 and raw.isascii() and raw.isdigit() and raw[:2] in VALID_PROVINCES:
        codes = raw.encode()
        if codes[2] <= _ZERO + 5:
            total = (
                _DOUBLED[codes[0] - _ZERO]
                + _DOUBLED[codes[2] - _ZERO]
                + _DOUBLED[codes[4] - _ZERO]
                + _DOUBLED[codes[6] - _ZERO]
                + _DOUBLED[codes[8] - _ZERO]
                + codes[1]
                + codes[3]
                + codes[5]
                + codes[7]
                + codes[9]
                - 5 * _ZERO
            )
            if total % 10 == 0:
                return raw
    return parse_cedula(raw).value


_CEDULA_REASONS = {
    "empty": N_("cédula vacía"),
    "format": N_("la cédula solo lleva dígitos"),
    "length": N_("la cédula no tiene 10 dígitos"),
    "province": N_("código de provincia inexistente en la cédula"),
    "type": N_("el tercer dígito de la cédula no es de persona (0–5)"),
    "checksum": N_("dígito verificador de la cédula incorrecto"),
    "invalid": N_("cédula no válida"),
}
_PHONE_REASONS = {
    "empty": N_("celular vacío"),
    "format": N_("el celular tiene caracteres no válidos"),
    "invalid": N_("número de celular no válido"),
    "not_mobile": N_("el número no es de celular (debe empezar con 09)"),
}


class ImportFileError(Exception):
    """The file cannot be imported at all (missing, not UTF-8 CSV, missing columns)."""


class ImportRolledBack(Exception):
    """The import failed midway and was rolled back: the database did not change."""

    def __init__(self, run_id: int | None, line: int, cause: BaseException) -> None:
        super().__init__(f"import rolled back at line {line}: {type(cause).__name__}")
        self.run_id = run_id
        self.line = line
        self.cause = cause


@dataclass(frozen=True)
class RowError:
    """One problem in one row: the file line (header is line 1), the column and why."""

    line: int
    column: str
    reason: str


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


def row_hash(values: dict[str, Any]) -> str:
    """A stable hash of a row's registry values; equal hash means nothing to update."""
    text = "|".join("" if values[c] is None else str(values[c]) for c in REGISTRY_COLUMNS)
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _date(raw: str) -> date:
    text = raw.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(text)
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return date(year, month, day)
    raise ValueError(text)


def validate_row(
    raw: dict[Any, Any], line: int, parishes: frozenset[str], *, today: date | None = None
) -> tuple[dict[str, Any] | None, list[RowError]]:
    """Validates one CSV row; returns the typed values, or None and every error found.

    `today` (the import's date) refuses birth dates in the future.
    """
    errors: list[RowError] = []
    cell = {c: (raw.get(c) or "").strip() for c in REGISTRY_COLUMNS}
    values: dict[str, Any] = dict.fromkeys(REGISTRY_COLUMNS)

    def fail(column: str, reason: str) -> None:
        errors.append(RowError(line, column, reason))

    if raw.get(None) is not None:
        fail("-", N_("la fila tiene más columnas que el encabezado"))
    for column in REQUIRED_VALUES:
        if not cell[column]:
            fail(column, N_("valor obligatorio vacío"))
    if cell["cedula"]:
        try:
            values["cedula"] = cedula_value(cell["cedula"])
        except InvalidCedula as error:
            fail("cedula", _CEDULA_REASONS.get(error.reason, _CEDULA_REASONS["invalid"]))
    if cell["names"]:
        if len(cell["names"]) > 160:
            fail("names", N_("nombres de más de 160 caracteres"))
        values["names"] = " ".join(cell["names"].split())
    for column in ("birth_date", "last_payment_date", "next_payment_date"):
        if cell[column]:
            try:
                values[column] = _date(cell[column])
            except ValueError:
                fail(column, N_("fecha no válida (use AAAA-MM-DD o DD/MM/AAAA)"))
    if values["birth_date"] is not None and values["birth_date"] < date(1900, 1, 1):
        fail("birth_date", N_("fecha de nacimiento anterior a 1900"))
    if today is not None and values["birth_date"] is not None and values["birth_date"] > today:
        fail("birth_date", N_("fecha de nacimiento en el futuro"))
    if cell["fingerprint_code"]:
        code = cell["fingerprint_code"].upper().replace(" ", "")
        if not _FINGERPRINT.fullmatch(code):
            fail("fingerprint_code", N_("código dactilar no válido (letras y números)"))
        values["fingerprint_code"] = code
    if cell["mobile"]:
        try:
            values["mobile"] = mobile_e164(cell["mobile"])
        except InvalidPhone as error:
            fail("mobile", _PHONE_REASONS.get(error.reason, _PHONE_REASONS["invalid"]))
    if cell["parish_code"]:
        if cell["parish_code"] not in parishes:
            fail("parish_code", N_("código de parroquia inexistente"))
        values["parish_code"] = cell["parish_code"]
    if cell["programme"]:
        programme = cell["programme"].upper()
        if programme not in Programme.__members__:
            fail("programme", N_("programa desconocido"))
        values["programme"] = programme
    status: PaymentStatus | None = None
    if cell["status"]:
        try:
            status = PaymentStatus(cell["status"].lower())
            values["status"] = status.value
        except ValueError:
            fail("status", N_("estado de pago desconocido"))
    if cell["reason_code"]:
        reason = cell["reason_code"].lower()
        if status is not None and not is_known_reason(status, reason):
            fail("reason_code", N_("motivo desconocido para ese estado"))
        values["reason_code"] = reason
    if cell["amount"]:
        try:
            amount = Decimal(cell["amount"].replace(",", "."))
            if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
                raise InvalidOperation
            if amount != amount.quantize(Decimal("0.01")):
                raise InvalidOperation
            values["amount"] = amount.quantize(Decimal("0.01"))
        except InvalidOperation:
            fail("amount", N_("monto no válido (número entre 0 y 10000, hasta 2 decimales)"))
    if cell["collection_point"]:
        if len(cell["collection_point"]) > 160:
            fail("collection_point", N_("punto de cobro de más de 160 caracteres"))
        values["collection_point"] = cell["collection_point"]
    try:  # corresponsabilidad: stored in canonical form, so the row hash ignores spelling
        if cell["children_birth_dates"]:
            children = parse_birth_dates(cell["children_birth_dates"], today)
            values["children_birth_dates"] = ";".join(d.isoformat() for d in children) or None
    except InvalidConditions as error:
        fail("children_birth_dates", error.reason)
    try:
        if cell["pending_conditions"]:
            pending = parse_pending_conditions(cell["pending_conditions"])
            values["pending_conditions"] = format_pending_conditions(pending) or None
    except InvalidConditions as error:
        fail("pending_conditions", error.reason)
    if errors:
        return None, errors
    return values, []


def parse_line(text: str, delimiter: str = ",") -> list[str]:
    """Splits one physical line into fields (RFC 4180 quoting); raises `csv.Error` if malformed."""
    if '"' not in text:
        return text.split(delimiter)
    return next(csv.reader([text], delimiter=delimiter, strict=True))


def _line_text(data: bytes, *, first: bool = False) -> str:
    """One physical line without its line ending; raises `UnicodeDecodeError` if not UTF-8."""
    return data.rstrip(b"\n").rstrip(b"\r").decode("utf-8-sig" if first else "utf-8")


def _open_csv(path: Path, delimiter: str) -> tuple[io.BufferedReader, list[str]]:
    """Opens the file and reads its header; raises `ImportFileError` when it cannot be read."""
    if not path.is_file():
        raise ImportFileError(f"No existe el archivo {path}.")
    if delimiter not in DELIMITERS:
        raise ImportFileError(f"Separador no admitido: «{delimiter}». Use , (estándar) o ;.")
    raw = path.open("rb")
    try:
        first = _line_text(raw.readline(), first=True)
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


_MALFORMED = N_(
    "fila mal formada (comillas sin cerrar o texto después de unas comillas): no se importó"
)


def _well_formed(
    data: bytes, line: int, header: list[str], delimiter: str
) -> tuple[dict[str, str] | None, RowError | None]:
    """The row of one physical line, or the reason it is not a well-formed row."""
    try:
        text = _line_text(data)
    except UnicodeDecodeError:
        return None, RowError(line, "-", N_("la línea no es texto UTF-8"))
    if not text.strip():
        return None, None
    if "\r" in text:
        return None, RowError(line, "-", _MALFORMED)
    try:
        fields = parse_line(text, delimiter)
    except csv.Error:
        return None, RowError(line, "-", _MALFORMED)
    if len(fields) > len(header):
        return None, RowError(line, "-", N_("la fila tiene más columnas que el encabezado"))
    if len(fields) < len(header):
        return None, RowError(line, "-", N_("la fila tiene menos columnas que el encabezado"))
    return dict(zip(header, fields, strict=True)), None


def _batches(
    raw: io.BufferedReader,
    header: list[str],
    parishes: frozenset[str],
    size: int,
    *,
    delimiter: str = ",",
    today: date | None = None,
) -> Iterator[tuple[list[dict[str, Any]], list[RowError], int, int]]:
    """Yields (valid rows, errors, rows read, last line) per batch of at most `size` rows.

    Lines are numbered as in the file (the header is line 1); blank lines are skipped. The keys
    seen so far (cédula + programme, packed in one int: ≈ 70 bytes a row) make a repeat in any
    later batch an error, so the first row always wins.
    """
    seen: set[int] = set()
    valid: list[dict[str, Any]] = []
    errors: list[RowError] = []
    read = 0
    line = 1
    for data in iter(raw.readline, b""):
        line += 1
        cells, malformed = _well_formed(data, line, header, delimiter)
        if cells is None:
            if malformed is None:
                continue  # a blank line
            errors.append(malformed)
        else:
            values, problems = validate_row(cells, line, parishes, today=today)
            if values is None:
                errors.extend(problems)
            else:
                key = int(values["cedula"]) * 16 + _PROGRAMME_INDEX[values["programme"]]
                if key in seen:
                    errors.append(
                        RowError(line, "cedula", N_("cédula y programa repetidos en el archivo"))
                    )
                else:
                    seen.add(key)
                    values["row_hash"] = row_hash(values)
                    valid.append(values)
        read += 1
        if read >= size:
            yield valid, errors, read, line
            valid, errors, read = [], [], 0
    if read:
        yield valid, errors, read, line


async def _upsert(conn: AsyncConnection, rows: list[dict[str, Any]], now: datetime) -> int:
    """Inserts new rows and updates changed ones; returns how many rows changed.

    One cached statement executed with many parameter sets: SQLAlchemy's "insertmanyvalues"
    batches it into multi-row INSERTs; RETURNING yields only rows inserted or updated (the
    WHERE on the conflict clause skips unchanged ones), which is the count of changes.
    """
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    base = insert(Beneficiary)
    excluded = base.excluded
    stmt = base.on_conflict_do_update(
        index_elements=[Beneficiary.cedula, Beneficiary.programme],
        set_={c: excluded[c] for c in (*REGISTRY_COLUMNS, "row_hash", "updated_at")},
        where=Beneficiary.row_hash != excluded.row_hash,
    ).returning(Beneficiary.id)
    changed = 0
    for start in range(0, len(rows), STATEMENT_ROWS):
        chunk = [{**r, "updated_at": now} for r in rows[start : start + STATEMENT_ROWS]]
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
        with errors_path.open("w", encoding="utf-8", newline="") as report:
            writer = csv.writer(report)
            writer.writerow(ERROR_COLUMNS)
            try:
                async with engine.begin() as conn:
                    batches = _batches(
                        raw, header, parishes, batch_rows, delimiter=delimiter, today=today
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
                        if not dry_run and rows:
                            summary.rows_changed += await _upsert(conn, rows, now)
                        if progress is not None:
                            progress(raw.tell())
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
