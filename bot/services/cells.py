"""Spreadsheet cells for every export: typed values, formula-safe text in CSV and XLSX.

CSV: a spreadsheet may split a line on `,` (RFC 4180) or on `;` (Spanish-locale Excel and
LibreOffice), and may disagree with us about quotes, so one of our fields can become several
cells, each starting after a `,`, `;`, tab or line break. `csv_safe` puts an apostrophe before
every such piece that would start with = + - @ (after spaces or quotes), and before a field that
starts with a tab or CR: no reader, whatever its delimiter, sees a cell that starts a formula.

XLSX: numbers, dates and times are typed cells (sums and filters work); text is always stored as
text, never as a formula, with Excel's quote prefix when it looks like one.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

CellValue = str | int | float | Decimal | date | datetime | None

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A piece a `,`/`;`/tab/newline reader would cut out that starts (after spaces or quotes) a formula.
_LEADING_FORMULA = re.compile(r'[ "]*[=+\-@]')
_INNER_FORMULA = re.compile(r'([,;\t\r\n])(?=[ "]*[=+\-@])')
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "YYYY-MM-DD HH:MM:SS"


def csv_safe(value: str) -> str:
    """Prefixes an apostrophe to every piece of `value` a spreadsheet could run as a formula."""
    if value.startswith(DANGEROUS_PREFIXES) or _LEADING_FORMULA.match(value):
        value = "'" + value
    return _INNER_FORMULA.sub(r"\1'", value)


def csv_text(value: CellValue) -> str:
    """The CSV text of a cell: numbers as written, dates DD/MM/YYYY, times ISO 8601, text safe."""
    if value is None:
        return ""
    if isinstance(value, str):
        return csv_safe(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def xlsx_cell(sheet: WriteOnlyWorksheet, value: CellValue) -> Cell:
    """A typed write-only cell; text is never a formula (quote prefix when it looks like one)."""
    if isinstance(value, datetime):
        # Excel has no time zones: aware times are stored as UTC wall time.
        naive = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        cell = WriteOnlyCell(sheet, value=naive)
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=datetime.combine(value, time.min))
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, Decimal):
        return WriteOnlyCell(sheet, value=float(value))
    if value is None or isinstance(value, (int, float)):
        return WriteOnlyCell(sheet, value=value)
    cell = WriteOnlyCell(sheet, value=value)
    # openpyxl stores any string starting with "=" as a formula; force text.
    cell.data_type = "s"
    if value.startswith(DANGEROUS_PREFIXES) or _LEADING_FORMULA.match(value):
        cell.quotePrefix = True
    return cell
