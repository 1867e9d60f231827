"""The registry import's fast path gives exactly the precise checks' rows, hashes and errors.

The reference is the import as it was before the fast path (`_reference_batches`: one
`readline` at a time, `well_formed`, `validate_row`, `row_key`, `row_hash`); hypothesis writes
files of valid rows in every spelling the precise rules accept, broken values, broken lines,
other headers and delimiters, and cuts them into blocks at random line breaks.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.domain.errors import InvalidCedula, InvalidPhone
from bot.domain.registry import REGISTRY_COLUMNS
from bot.domain.registry_fast_path import (
    _MOBILE_09,
    REPEATED,
    cedula_tables,
    checked_batches,
    copy_line,
    fast_row,
)
from bot.domain.registry_rows import (
    RowError,
    cedula_value,
    mobile_e164,
    row_hash,
    row_key,
    validate_row,
    well_formed,
)
from bot.services.registry_keys import DiskKeys
from bot.storage.registry_sample import SAMPLE_PARISHES, sample_cedula, sample_row

PARISHES = frozenset(SAMPLE_PARISHES)
TODAY = date(2026, 12, 3)

# Other spellings of each column than sample_row's, accepted or refused: each is tried alone
# in a row (test_every_spelling_...) and up to three at a time by hypothesis.
VARIANTS: dict[str, list[str]] = {
    "cedula": [
        " 1100000051",
        "1100000052",
        "9900000051",
        "1170000051",
        "110000005",
        "abc",
        "١١٠٠٠٠٠٠٥١",
        "11-0000005-1",
        "9900000001",
        "1170000001",
        "",
    ],
    "names": [
        "  Ana   María ",
        "Ana\tMaría",
        "Rosa \\ Negra",
        "x" * 161,
        " " + "x" * 160,
        "",
        "\u00a0Ana\u00a0",
        "Ana\rMaría",
    ],
    "birth_date": [
        "20/05/1980",
        "1980-5-20",
        "31/02/1980",
        "1899-12-31",
        "2031-01-01",
        " 1980-05-20 ",
        "",
        "١٩٨٠-٠٥-٢٠",
        "2026-12-03",
        "2026-12-04",
    ],
    "fingerprint_code": [
        "v1234v5678",
        "V1234 V5678",
        " V1234V5678\t",
        "ABC",
        "ıbcdef",
        "ſabcdef",
        "ß12345",
        "",
        "   ",
    ],
    "mobile": [
        "+593991234567",
        "593991234567",
        "099 123 4567",
        "022345678",
        "0964012345",
        "0964312345",
        " 0991234567",
        "",
        "   ",
        "٠٩٩١٢٣٤٥٦٧",
        "0991234567\u00a0",
    ],
    "parish_code": ["110101", " 110101", "999999", "", "  "],
    "programme": ["mma", " BDH ", "b1000", "XYZ", "", "Bdhv"],
    "status": ["ACTIVO", " suspendido", "congelado", "", "retenido"],
    "reason_code": ["corresp_matricula", "CREDITO_CDH", " afiliacion_iess ", "nada", ""],
    "amount": [
        "55",
        "55,5",
        "55.555",
        "-1",
        "1e3",
        "NaN",
        "10000.01",
        " 55.00 ",
        "0",
        "-0",
        "10000",
        "",
        "sNaN",
        "Infinity",
        "1E-2",
        "٥٥",
    ],
    "last_payment_date": ["15/10/2026", "2026-13-01", "", " 2026-10-15"],
    "next_payment_date": ["1/1/2027", "2027-02-29", "", "2027-01-01"],
    "collection_point": [
        "Banco\tPichincha",
        "C:\\caja",
        "x" * 161,
        "  BanEcuador  ",
        "",
        "Banco\rX",
    ],
    "children_birth_dates": [
        "2021-12-20;2015-03-01",
        "2015-03-01; 2021-12-20 ;",
        "2030-01-01",
        "20/12/2021",
        ";",
        "2021-02-30",
    ],
    "pending_conditions": [
        "control_menor5:2027-01-15;matricula",
        "MATRICULA",
        "matricula;matricula",
        "vacunas",
        "matricula:2027-1-1",
        ";",
    ],
}


def _reference_batches(
    data: bytes, header: list[str], size: int, delimiter: str
) -> Iterator[tuple[list[dict[str, Any]], list[RowError], int, int]]:
    """The import's batches as computed before the fast path, one physical line at a time."""
    seen: set[int] = set()
    valid: list[dict[str, Any]] = []
    errors: list[RowError] = []
    read = 0
    line = 1
    for chunk in iter(io.BytesIO(data).readline, b""):
        line += 1
        cells, malformed = well_formed(chunk, line, header, delimiter)
        if cells is None:
            if malformed is None:
                continue
            errors.append(malformed)
        else:
            values, problems = validate_row(cells, line, PARISHES, today=TODAY)
            if values is None:
                errors.extend(problems)
            else:
                key = row_key(values)
                if key in seen:
                    errors.append(RowError(line, "cedula", REPEATED))
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


def _shown(value: Any) -> tuple[str, str]:
    return type(value).__name__, str(value)  # Decimal("55.0") == Decimal("55.00"): compare text


def _unescape(field: str) -> str | None:
    if field == "\\N":
        return None
    out, chars = [], iter(field)
    for char in chars:
        out.append(
            {"t": "\t", "n": "\n", "r": "\r"}.get(nxt := next(chars), nxt) if char == "\\" else char
        )
    return "".join(out)


def _compare(data: bytes, header: list[str], size: int, delimiter: str, cuts: list[int]) -> None:
    blocks, start = [], 0
    for cut in sorted(set(cuts)):
        if start < cut < len(data) and data[cut - 1 : cut] == b"\n":
            blocks.append(data[start:cut])
            start = cut
    blocks.append(data[start:])
    fast = list(checked_batches(blocks, header, PARISHES, size, delimiter=delimiter, today=TODAY))
    reference = list(_reference_batches(data, header, size, delimiter))
    assert len(fast) == len(reference)
    for (rows, errors, read, line), (values, ref_errors, ref_read, ref_line) in zip(
        fast, reference, strict=True
    ):
        assert (errors, read, line) == (ref_errors, ref_read, ref_line)
        expected = [[*(v[c] for c in REGISTRY_COLUMNS), v["row_hash"]] for v in values]
        assert [list(r[:16]) for r in rows] == expected
        assert [[_shown(x) for x in r[:16]] for r in rows] == [
            [_shown(x) for x in e] for e in expected
        ]
        for row in rows:
            assert row[16] == copy_line(row[:16])
            assert [_unescape(f) for f in row[16].split("\t")] == [
                None if v is None else str(v) for v in row[:16]
            ]


@st.composite
def _line(draw: st.DrawFn, header: list[str], delimiter: str) -> bytes:
    n = draw(st.integers(0, 40))
    row = sample_row(n)  # the usual spelling, with up to three cells spelled otherwise
    for column in draw(st.lists(st.sampled_from(REGISTRY_COLUMNS), max_size=3, unique=True)):
        row[column] = draw(st.sampled_from(VARIANTS[column]))
    fields = [row.get(c, "") for c in header]
    shape = draw(
        st.sampled_from(
            ["plain"] * 6
            + ["csv", "blank", "spaces", "short", "long", "stray", "cr", "latin1", "crcr"]
        )
    )
    if shape == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator="").writerow(fields)
        text = buffer.getvalue()
    else:
        text = delimiter.join(fields)
    text = {
        "blank": "",
        "spaces": "  \t ",
        "short": delimiter.join(fields[:-1]),
        "long": text + delimiter + "x",
        "stray": text.replace(delimiter, delimiter + '"', 1),
        "cr": text.replace(delimiter, "\r", 1),
        "crcr": text + "\r\r",
    }.get(shape, text)
    ending = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    data = (text + ending).encode()
    if shape == "latin1":
        data = (text + "ñ" + ending).encode("latin-1", errors="replace")
    return data


@st.composite
def _file(draw: st.DrawFn) -> tuple[bytes, list[str], str]:
    delimiter = draw(st.sampled_from([",", ",", ";"]))
    header = list(REGISTRY_COLUMNS)
    kind = draw(st.sampled_from(["standard", "standard", "shuffled", "minimal", "extra"]))
    if kind == "shuffled":
        header = draw(st.permutations(header))
    elif kind == "minimal":
        header = ["cedula", "names", "programme", "status", "mobile"]
    elif kind == "extra":
        header = [*header[:5], "otra", *header[5:]]
    lines = draw(st.lists(_line(header, delimiter), min_size=1, max_size=30))
    last = draw(st.sampled_from(["keep", "no final line break"]))
    data = b"".join(lines)
    if last != "keep" and data.endswith(b"\n"):
        data = data.rstrip(b"\n")
    return data, header, delimiter


@settings(max_examples=400, deadline=None)
@given(_file(), st.integers(1, 7), st.lists(st.integers(0, 4000), max_size=6))
def test_fast_batches_equal_the_precise_import_line_by_line(
    case: tuple[bytes, list[str], str], size: int, cuts: list[int]
) -> None:
    data, header, delimiter = case
    _compare(data, header, size, delimiter, cuts)


@pytest.mark.parametrize("delimiter", [",", ";"])
@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_every_spelling_of_every_column_gets_the_precise_verdict(
    delimiter: str, ending: str
) -> None:
    header = list(REGISTRY_COLUMNS)
    for column, spellings in VARIANTS.items():
        for spelling in spellings:
            for n in (1, 3, 4):  # activo, suspendido and no_habilitado rows
                fields = [{**sample_row(n), column: spelling}[c] for c in header]
                buffer = io.StringIO()
                csv.writer(buffer, delimiter=delimiter, lineterminator=ending).writerow(fields)
                _compare(buffer.getvalue().encode(), header, 5, delimiter, [])  # quoted if need be
                plain = delimiter.join(fields) + ending  # as a spreadsheet might write it
                _compare(plain.encode(), header, 5, delimiter, [])


def test_every_generated_registry_row_takes_the_fast_path_with_the_precise_hash() -> None:
    seen: set[int] = set()
    check = fast_row(list(REGISTRY_COLUMNS), PARISHES, TODAY, seen)
    for n in range(3000):
        raw = sample_row(n)
        row = check(",".join(raw[c] for c in REGISTRY_COLUMNS))
        values, errors = validate_row(raw, 2, PARISHES, today=TODAY)
        assert row and values is not None and not errors
        assert row[:16] == (*(values[c] for c in REGISTRY_COLUMNS), row_hash(values))


def test_a_row_hash_is_the_one_stored_before_the_fast_path() -> None:
    # Computed by the import before this change: existing databases see an unchanged row as such.
    check = fast_row(list(REGISTRY_COLUMNS), PARISHES, TODAY, set())
    row = check(",".join(sample_row(7).values()))
    assert row and row[15] == "1806283a75153260112abaa8c35f7710174a2d30"
    spelled = {
        **sample_row(8),
        "children_birth_dates": "2021-12-20;2015-03-01",
        "pending_conditions": "matricula",
        "amount": "55.5",
        "birth_date": "20/05/1980",
        "mobile": "+593991234567",
        "fingerprint_code": "v1234 v5678",
    }
    row = check(",".join(spelled.values()))
    assert row and row[15] == "3dc28c3588e155d3b8a5c46f5da97366b81a254e"


def test_a_repeat_met_by_the_fast_path_is_reported_like_the_precise_one() -> None:
    line = ",".join(sample_row(3).values()).encode() + b"\n"
    odd = ",".join({**sample_row(3), "programme": " bdh "}.values()).encode() + b"\n"
    data = line + odd + line
    _compare(data, list(REGISTRY_COLUMNS), 10, ",", [])
    [(rows, errors, read, _)] = checked_batches([data], list(REGISTRY_COLUMNS), PARISHES, 10)
    assert (len(rows), read) == (1, 3)
    assert errors == [RowError(3, "cedula", REPEATED), RowError(4, "cedula", REPEATED)]


def _outcome(check: Any, raw: str) -> tuple[str, str]:
    try:
        return "ok", check(raw)
    except (InvalidCedula, InvalidPhone) as error:
        return "error", error.reason


def _fast_cedula(raw: str) -> str:
    check = fast_row(list(REGISTRY_COLUMNS), PARISHES, TODAY, set())
    row = check(",".join({**sample_row(1), "cedula": raw}.values()))
    if row is None:
        raise InvalidCedula("", "invalid")
    return str(row[0])


@settings(max_examples=3000)
@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
@example("1714307103")
@example("3014307103")
@example("2514307103")
@example("1764307103")
@example("0000000000")
@example("9900000001")  # no such province; -1 (its table entry) + 1 would end in 0
@example("1170000001")  # third digit 7, the same
def test_the_fast_path_accepts_exactly_the_cedulas_parse_cedula_accepts(raw: str) -> None:
    assert (_outcome(_fast_cedula, raw)[0] == "ok") == (_outcome(cedula_value, raw)[0] == "ok")


def test_cedula_tables_hold_every_generated_registry_cedula() -> None:
    head, tail = cedula_tables()
    for n in range(0, 5_000_000, 997):
        number = int(sample_cedula(n))
        assert head[number // 100_000] >= 0
        assert (head[number // 100_000] + tail[number % 100_000]) % 10 == 0


@settings(max_examples=3000)
@given(
    st.one_of(
        st.builds(lambda d: "09" + d, st.text(alphabet="0123456789", min_size=8, max_size=8)),
        st.builds(lambda d: "096" + d, st.text(alphabet="0123456789", min_size=7, max_size=7)),
        st.text(alphabet="0123456789+ ٩", max_size=12),
    )
)
@example("0964012345")
@example("0964312345")
def test_the_one_mobile_match_agrees_with_mobile_e164(raw: str) -> None:
    if _MOBILE_09.fullmatch(raw):
        assert mobile_e164(raw) == "+593" + raw[1:]
    elif raw.isascii() and len(raw) == 10 and raw.startswith("09") and raw.isdigit():
        assert _outcome(mobile_e164, raw)[0] == "error"


def test_amounts_keep_their_decimal_value_and_text() -> None:
    check = fast_row(list(REGISTRY_COLUMNS), PARISHES, TODAY, set(), ";")
    row = check(";".join({**sample_row(1), "amount": "55,5"}.values()))
    assert row and (row[9], str(row[9])) == (Decimal("55.50"), "55.50")


def test_a_repeat_in_a_later_batch_is_found_by_the_keys_kept_on_disk() -> None:
    first = ",".join(sample_row(3).values()).encode() + b"\n"
    other = ",".join(sample_row(4).values()).encode() + b"\n"
    again = ",".join({**sample_row(3), "names": "Otra Persona"}.values()).encode() + b"\n"
    data = first + other + again + other
    header = list(REGISTRY_COLUMNS)
    with DiskKeys() as keys:
        batches = list(checked_batches([data], header, PARISHES, 2, earlier=keys))
    assert [(len(rows), read) for rows, _, read, _ in batches] == [(2, 2), (0, 2)]
    assert batches[1][1] == [RowError(4, "cedula", REPEATED), RowError(5, "cedula", REPEATED)]
    assert batches[0][0][0][1] == sample_row(3)["names"]  # the first row wins
    _compare(data, header, 2, ",", [])
    _compare(data, header, 1, ",", [len(first), len(first + other)])
