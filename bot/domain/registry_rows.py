"""One registry row checked: cédula, mobile, dates, programme, status, amounts (pure).

The monthly import (`bot.services.registry_import`) reads the file and writes the database; every
judgement on a line's content is here: whether the line is a well-formed CSV row, whether each
value is valid (and why not, in words a district clerk reads in the error report), the typed
values to store, the hash that tells a changed row from an unchanged one, and the key that tells
a repeated row. A hypothesis test proves the fast cédula and mobile checks agree with
`bot.domain.identity`.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers

from bot.domain.corresponsabilidad import (
    InvalidConditions,
    format_pending_conditions,
    parse_birth_dates,
    parse_pending_conditions,
)
from bot.domain.errors import N_, InvalidCedula, InvalidPhone
from bot.domain.identity import VALID_PROVINCES, parse_cedula, parse_phone
from bot.domain.registry import REGISTRY_COLUMNS, PaymentStatus, Programme, is_known_reason

REQUIRED_VALUES = ("cedula", "names", "programme", "status")
MAX_AMOUNT = Decimal("10000")
PROGRAMME_INDEX = {name: index for index, name in enumerate(Programme.__members__)}
FINGERPRINT = re.compile(r"[A-Z0-9]{6,12}")
# Fast path for the common case, from the same phonenumbers metadata `parse_phone` uses: a plain
# Ecuadorian mobile (09…, 5939…, +5939…) whose national number matches the mobile pattern.
# Anything else goes through `parse_phone` for its precise reason. (~5× faster on 1 M rows.)
_EC_MOBILE_SHAPE = re.compile(r"(?:0|\+?593)(9\d{8})")
_EC_METADATA = phonenumbers.PhoneMetadata.metadata_for_region("EC")
assert _EC_METADATA is not None and _EC_METADATA.mobile is not None
EC_MOBILE_PATTERN = str(_EC_METADATA.mobile.national_number_pattern)
_EC_MOBILE = re.compile(EC_MOBILE_PATTERN)


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


@dataclass(frozen=True)
class RowError:
    """One problem in one row: the file line (header is line 1), the column and why."""

    line: int
    column: str
    reason: str


def row_hash(values: dict[str, Any]) -> str:
    """A stable hash of a row's registry values; equal hash means nothing to update."""
    text = "|".join("" if values[c] is None else str(values[c]) for c in REGISTRY_COLUMNS)
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def cell_date(raw: str) -> date:
    """A date written AAAA-MM-DD or DD/MM/AAAA; raises `ValueError` otherwise."""
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
                values[column] = cell_date(cell[column])
            except ValueError:
                fail(column, N_("fecha no válida (use AAAA-MM-DD o DD/MM/AAAA)"))
    if values["birth_date"] is not None and values["birth_date"] < date(1900, 1, 1):
        fail("birth_date", N_("fecha de nacimiento anterior a 1900"))
    if today is not None and values["birth_date"] is not None and values["birth_date"] > today:
        fail("birth_date", N_("fecha de nacimiento en el futuro"))
    if cell["fingerprint_code"]:
        code = cell["fingerprint_code"].upper().replace(" ", "")
        if not FINGERPRINT.fullmatch(code):
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


def packed_key(cedula: str, programme: str) -> int:
    """Cédula and programme packed in one int: a repeat's key."""
    return int(cedula) * 16 + PROGRAMME_INDEX[programme]


def row_key(values: dict[str, Any]) -> int:
    """The repeat key of a checked row's values."""
    return packed_key(values["cedula"], values["programme"])


def parse_line(text: str, delimiter: str = ",") -> list[str]:
    """Splits one physical line into fields (RFC 4180 quoting); raises `csv.Error` if malformed."""
    if '"' not in text:
        return text.split(delimiter)
    return next(csv.reader([text], delimiter=delimiter, strict=True))


def line_text(data: bytes, *, first: bool = False) -> str:
    """One physical line without its line ending; raises `UnicodeDecodeError` if not UTF-8."""
    return data.rstrip(b"\n").rstrip(b"\r").decode("utf-8-sig" if first else "utf-8")


_MALFORMED = N_(
    "fila mal formada (comillas sin cerrar o texto después de unas comillas): no se importó"
)


def well_formed(
    data: bytes, line: int, header: list[str], delimiter: str
) -> tuple[dict[str, str] | None, RowError | None]:
    """The row of one physical line, or the reason it is not a well-formed row."""
    try:
        text = line_text(data)
    except UnicodeDecodeError:
        return None, RowError(line, "-", N_("la línea no es texto UTF-8"))
    return row_cells(text, line, header, delimiter)


def row_cells(
    text: str, line: int, header: list[str], delimiter: str
) -> tuple[dict[str, str] | None, RowError | None]:
    """The row of one decoded line (no line ending), or the reason it is not a well-formed row."""
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
