"""The registry import's row checks at speed: the common valid row in one pass, the rest precisely.

`bot.domain.registry_rows` holds the precise checks (why a value is refused, in a clerk's
words); run on every line of a million-row file they cost ≈ 25–75 µs a row of pure Python, the
import's floor. `RowChecker` reads the data lines of one file and, for a line that is plainly a
valid row (no quotes, the header's number of fields, every value in its usual shape), computes
the same typed values and row hash directly: fields taken by position, values that repeat
across rows (programme, status and reason, parish, dates, amounts, collection point, conditions)
looked up in caches of this file filled by the same rules, the cédula's check digit from two
tables, the mobile by one regular expression. Any line it is not sure of goes through
`row_cells` / `well_formed` and `validate_row` unchanged, so every error, its line, column and
reason, is the precise path's own. tests/unit/test_registry_fast_path.py proves both paths give
the same rows, hashes and errors.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from operator import itemgetter
from typing import Any, Final

from bot.domain.corresponsabilidad import (
    InvalidConditions,
    format_pending_conditions,
    parse_birth_dates,
    parse_pending_conditions,
)
from bot.domain.errors import N_, InvalidPhone
from bot.domain.identity import VALID_PROVINCES
from bot.domain.registry import REGISTRY_COLUMNS, PaymentStatus, Programme, is_known_reason
from bot.domain.registry_rows import (
    EC_MOBILE_PATTERN,
    FINGERPRINT,
    MAX_AMOUNT,
    PROGRAMME_INDEX,
    RowError,
    cell_date,
    mobile_e164,
    packed_key,
    row_cells,
    row_hash,
    row_key,
    validate_row,
    well_formed,
)

CheckedRow = tuple[Any, ...]
"""A valid row: its 15 registry values in `REGISTRY_COLUMNS` order, its row hash, and the same
values as one line of PostgreSQL's COPY text format (tab-separated, `\\N` for none, no newline)."""
Batch = tuple[list[CheckedRow], list[RowError], int, int]
"""(valid rows, errors, rows read, last line read) of one batch."""

REPEATED = N_("cédula y programa repetidos en el archivo")
# A cache holds at most this many spellings of one column (a birth date cache of every day of
# a century is ≈ 8 MB); past it, values are still checked, just not remembered.
CACHE_LIMIT = 40_000
_CENTS = Decimal("0.01")
_OLDEST_BIRTH = date(1900, 1, 1)
_BAD: Final[Any] = ("refused",)  # a cached verdict: the precise path will say why
_EMPTY: Final = (None, "", "\\N")  # an empty cell: (value stored, text hashed, COPY text)
_REPEAT: Final[CheckedRow] = ()  # a valid row whose cédula + programme came before
# `0` + a national mobile number, ASCII digits only: `mobile_e164`'s own fast path, in one match.
_MOBILE_09 = re.compile(rf"0(?=9[0-9]{{8}}\Z)(?:{EC_MOBILE_PATTERN})\Z", re.ASCII)
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value: str) -> str:
    """`value` as a field of PostgreSQL's COPY text format."""
    return value.translate(_COPY_ESCAPES)


def copy_line(values: tuple[Any, ...]) -> str:
    """Values (str, date, Decimal or None) as one line of COPY text, without its newline."""
    return "\t".join("\\N" if v is None else copy_text(str(v)) for v in values)


@cache
def cedula_tables() -> tuple[list[int], list[int]]:
    """Check sums of a cédula's first five and last five digits, indexed by those digits.

    A 10-digit cédula is valid when `head[first five] >= 0` (province 01–24 or 30, third digit
    0–5) and `(head[first five] + tail[last five]) % 10 == 0` (mod-10, odd positions doubled).
    """
    doubled = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # 2·d, minus 9 when above 9
    pairs = [doubled[a] + b for a in range(10) for b in range(10)]  # positions 1–2
    triples = [doubled[c] + d + doubled[e] for c in range(10) for d in range(10) for e in range(10)]
    head: list[int] = []
    for ab in range(100):
        if f"{ab:02d}" in VALID_PROVINCES:
            head.extend(pairs[ab] + t if cde < 600 else -1 for cde, t in enumerate(triples))
        else:
            head.extend([-1] * 1000)
    plain_doubled = [a + doubled[b] for a in range(10) for b in range(10)]  # positions 6–7
    odd_triples = [c + doubled[d] + e for c in range(10) for d in range(10) for e in range(10)]
    tail = [p + t for p in plain_doubled for t in odd_triples]
    return head, tail


def _limited(store: dict[Any, Any], key: Any, verdict: Any) -> Any:
    if len(store) < CACHE_LIMIT:
        store[key] = verdict
    return verdict


def _text(value: str) -> tuple[str, str, str]:
    return (value, value, copy_text(value))


class _Verdicts:
    """Per-file caches from a cell's raw text to its verdict, or `_BAD` when it is refused.

    A verdict is (value stored, its text in the row hash, its COPY text); each miss is decided
    by the rule `validate_row` applies to that column.
    """

    def __init__(self, parishes: frozenset[str], today: date | None) -> None:
        self.parishes = parishes
        self.today = today
        self.programmes: dict[str, Any] = {}
        self.statuses: dict[tuple[str, str], Any] = {}
        self.parish: dict[str, Any] = {}
        self.amounts: dict[str, Any] = {}
        self.dates: dict[str, Any] = {}
        self.births: dict[str, Any] = {}
        self.points: dict[str, Any] = {}
        self.children: dict[str, Any] = {}
        self.pending: dict[str, Any] = {}

    def programme(self, raw: str) -> Any:
        """(programme, its index in the repeat key)."""
        cell = raw.strip()
        name = cell.upper()
        ok = cell and name in Programme.__members__
        return _limited(self.programmes, raw, (name, PROGRAMME_INDEX[name]) if ok else _BAD)

    def status(self, raw: str, raw_reason: str) -> Any:
        """(status, reason or None, the reason's hashed text, its COPY text)."""
        verdict: Any = _BAD
        cell = raw.strip()
        try:
            status = PaymentStatus(cell.lower()) if cell else None
        except ValueError:
            status = None
        if status is not None:
            reason = raw_reason.strip().lower()
            if not reason:
                verdict = (status.value, None, "", "\\N")
            elif is_known_reason(status, reason):
                verdict = (status.value, reason, reason, copy_text(reason))
        return _limited(self.statuses, (raw, raw_reason), verdict)

    def parish_code(self, raw: str) -> Any:
        cell = raw.strip()
        verdict = _EMPTY if not cell else _text(cell) if cell in self.parishes else _BAD
        return _limited(self.parish, raw, verdict)

    def amount(self, raw: str) -> Any:
        cell = raw.strip()
        verdict: Any = _EMPTY
        if cell:
            try:
                amount = Decimal(cell.replace(",", "."))
                if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
                    raise InvalidOperation
                if amount != amount.quantize(_CENTS):
                    raise InvalidOperation
                value = amount.quantize(_CENTS)
                verdict = (value, str(value), str(value))
            except InvalidOperation:
                verdict = _BAD
        return _limited(self.amounts, raw, verdict)

    def day(self, raw: str) -> Any:
        return _limited(self.dates, raw, self._day(raw))

    def birth(self, raw: str) -> Any:
        verdict = self._day(raw)
        if verdict is not _BAD and verdict[0] is not None:
            born = verdict[0]
            if born < _OLDEST_BIRTH or (self.today is not None and born > self.today):
                verdict = _BAD
        return _limited(self.births, raw, verdict)

    @staticmethod
    def _day(raw: str) -> Any:
        cell = raw.strip()
        if not cell:
            return _EMPTY
        try:
            day = cell_date(cell)
        except ValueError:
            return _BAD
        text = day.isoformat()
        text = cell if text == cell else text  # one string kept when they are equal
        return (day, text, text)

    def point(self, raw: str) -> Any:
        cell = raw.strip()
        verdict = _EMPTY if not cell else _BAD if len(cell) > 160 else _text(cell)
        return _limited(self.points, raw, verdict)

    def children_dates(self, raw: str) -> Any:
        cell = raw.strip()
        verdict: Any = _EMPTY
        if cell:
            try:
                text = ";".join(d.isoformat() for d in parse_birth_dates(cell, self.today))
                verdict = _text(text) if text else _EMPTY
            except InvalidConditions:
                verdict = _BAD
        return _limited(self.children, raw, verdict)

    def conditions(self, raw: str) -> Any:
        cell = raw.strip()
        verdict: Any = _EMPTY
        if cell:
            try:
                text = format_pending_conditions(parse_pending_conditions(cell))
                verdict = _text(text) if text else _EMPTY
            except InvalidConditions:
                verdict = _BAD
        return _limited(self.pending, raw, verdict)


def fast_row(
    header: list[str],
    parishes: frozenset[str],
    today: date | None,
    seen: set[int],
    delimiter: str = ",",
) -> Callable[[str], CheckedRow | None]:
    """A function from a line (no quotes, no line ending) to its row, `()` for a repeat, or None.

    None means "ask `validate_row`": the line may be a valid row in an unusual spelling, or
    refused, or blank. A row returned has its repeat key (`row_key`) added to `seen`.
    """
    verdicts = _Verdicts(parishes, today)
    positions = {name: index for index, name in enumerate(header)}  # the last wins, as in dict()
    width = len(header)
    pick = None
    if tuple(header) != REGISTRY_COLUMNS:  # other order, extra or missing columns
        pick = itemgetter(*(positions.get(c, len(header)) for c in REGISTRY_COLUMNS))
    head, tail = cedula_tables()
    programmes, statuses, parish_codes = verdicts.programmes, verdicts.statuses, verdicts.parish
    amounts, dates, births = verdicts.amounts, verdicts.dates, verdicts.births
    points, children_cache, pending_cache = verdicts.points, verdicts.children, verdicts.pending
    mobile_09 = _MOBILE_09.fullmatch
    fingerprint = FINGERPRINT.fullmatch
    sha1 = hashlib.sha1(usedforsecurity=False).copy  # a fresh SHA-1, without a call's keywords
    bad = _BAD

    def check(text: str) -> CheckedRow | None:
        fields: Any = text.split(delimiter)
        if len(fields) != width:
            return None
        if pick is not None:
            fields.append("")  # what a missing column reads as
            fields = pick(fields)
        (
            cedula,
            names,
            birth,
            finger,
            mobile,
            parish,
            programme,
            status,
            reason,
            amount,
            last,
            following,
            point,
            children,
            pending,
        ) = fields
        if len(cedula) != 10 or not cedula.isdigit() or not cedula.isascii():
            return None
        number = int(cedula)
        first = head[number // 100_000]
        if first < 0 or (first + tail[number % 100_000]) % 10:
            return None
        if len(names) > 160:
            return None
        name = " ".join(names.split())
        if not name:
            return None
        b = births.get(birth) or verdicts.birth(birth)
        if b is bad:
            return None
        if finger:
            code = finger.upper().replace(" ", "")
            if not fingerprint(code):
                return None
        else:
            code = None
        if not mobile:
            phone = None
        elif mobile_09(mobile):
            phone = "+593" + mobile[1:]
        else:
            try:
                phone = mobile_e164(mobile.strip())
            except InvalidPhone:
                return None
        p = parish_codes.get(parish) or verdicts.parish_code(parish)
        g = programmes.get(programme) or verdicts.programme(programme)
        s = statuses.get((status, reason)) or verdicts.status(status, reason)
        a = amounts.get(amount) or verdicts.amount(amount)
        x = dates.get(last) or verdicts.day(last)
        y = dates.get(following) or verdicts.day(following)
        c = points.get(point) or verdicts.point(point)
        k = children_cache.get(children) or verdicts.children_dates(children)
        q = pending_cache.get(pending) or verdicts.conditions(pending)
        if (
            p is bad
            or g is bad
            or s is bad
            or a is bad
            or x is bad
            or y is bad
            or c is bad
            or k is bad
            or q is bad
        ):  # `is`: `in` would compare the verdicts with ==, and Decimal's == is slow
            return None
        key = number * 16 + g[1]  # `packed_key`, from what is at hand
        if key in seen:
            return _REPEAT
        seen.add(key)
        hasher = sha1()
        hasher.update(
            "|".join(
                (
                    cedula,
                    name,
                    b[1],
                    code or "",
                    phone or "",
                    p[1],
                    g[0],
                    s[0],
                    s[2],
                    a[1],
                    x[1],
                    y[1],
                    c[1],
                    k[1],
                    q[1],
                )
            ).encode()
        )
        digest = hasher.hexdigest()
        copied = "\t".join(
            (
                cedula,
                name if "\\" not in name else copy_text(name),
                b[2],
                code or "\\N",
                phone or "\\N",
                p[2],
                g[0],
                s[0],
                s[3],
                a[2],
                x[2],
                y[2],
                c[2],
                k[2],
                q[2],
                digest,
            )
        )
        return (
            cedula,
            name,
            b[0],
            code,
            phone,
            p[0],
            g[0],
            s[0],
            s[1],
            a[0],
            x[0],
            y[0],
            c[0],
            k[0],
            q[0],
            digest,
            copied,
        )

    return check


EarlierKeys = Callable[[list[int]], set[int]]
"""Given one batch's repeat keys, those an earlier batch held; remembers the batch's keys."""


def keys_in_memory() -> EarlierKeys:
    """An `EarlierKeys` on a set in memory (≈ 70 bytes a key): for tests and small files."""
    held: set[int] = set()

    def earlier(keys: list[int]) -> set[int]:
        found = held.intersection(keys)
        held.update(keys)
        return found

    return earlier


def checked_batches(
    blocks: Iterable[bytes],
    header: list[str],
    parishes: frozenset[str],
    size: int,
    *,
    delimiter: str = ",",
    today: date | None = None,
    earlier: EarlierKeys | None = None,
) -> Iterator[Batch]:
    """Yields (valid rows, errors, rows read, last line) per batch of at most `size` rows.

    `blocks` are the file's bytes after the header, each ending at a line break (or the end of
    the file). Lines are numbered as in the file (the header is line 1); blank lines are
    skipped; a batch's errors are in line order. A cédula + programme repeated in the file is
    an error on every line after its first: within a batch by a set of the batch's keys, across
    batches by `earlier` (default `keys_in_memory`; the import keeps them on disk), so the first
    row always wins and memory need not grow with the file.
    """
    earlier = earlier or keys_in_memory()
    seen: set[int] = set()  # this batch's keys
    check = fast_row(header, parishes, today, seen, delimiter)
    valid: list[CheckedRow] = []
    lines: list[int] = []  # the line of each valid row
    errors: list[RowError] = []
    undecodable: dict[int, bytes] = {}
    read = 0
    line = 1

    def precise(text: str, number: int) -> tuple[CheckedRow | None, list[RowError]]:
        """`validate_row`'s verdict on one line (the repeat left to the caller)."""
        data = undecodable.pop(number, None)
        if data is not None:
            cells, malformed = well_formed(data, number, header, delimiter)
        else:
            cells, malformed = row_cells(text.rstrip("\r"), number, header, delimiter)
        if cells is None:
            return None, [] if malformed is None else [malformed]  # none: a blank line
        values, problems = validate_row(cells, number, parishes, today=today)
        if values is None:
            return None, problems
        typed = tuple(values[c] for c in REGISTRY_COLUMNS)
        digest = row_hash(values)
        if (key := row_key(values)) in seen:
            return _REPEAT, []
        seen.add(key)
        return (*typed, digest, copy_line((*typed, digest))), []

    def finished() -> Batch:
        """The batch, its rows whose key an earlier batch held turned into errors."""
        nonlocal valid, lines, errors, read
        keys = [packed_key(r[0], r[6]) for r in valid]  # cédula, programme
        repeated = earlier(keys) if keys else set()
        if repeated:
            kept = [k not in repeated for k in keys]
            errors.extend(
                RowError(n, "cedula", REPEATED) for n, k in zip(lines, kept, strict=True) if not k
            )
            errors.sort(key=lambda e: e.line)  # stable: a line's own errors keep their order
            valid = [r for r, k in zip(valid, kept, strict=True) if k]
        batch = (valid, errors, read, line)
        seen.clear()
        valid, lines, errors, read = [], [], [], 0
        return batch

    for block in blocks:
        texts, odd = _lines(block, line, undecodable)
        for text in texts:
            line += 1
            row = check(text) if not odd or ('"' not in text and "\r" not in text) else None
            if row is None:
                row, problems = precise(text, line)
                if row is None:
                    if not problems:
                        continue  # a blank line
                    errors.extend(problems)
            if row:
                valid.append(row)
                lines.append(line)
            elif row is not None:
                errors.append(RowError(line, "cedula", REPEATED))
            read += 1
            if read >= size:
                yield finished()
    if read:
        yield finished()


def _lines(block: bytes, line: int, undecodable: dict[int, bytes]) -> tuple[list[str], bool]:
    """The lines of a block without line endings, and whether some need a look one by one.

    A line that is not UTF-8 is kept in `undecodable` under its number and stands as `\r`
    (a line with a carriage return always goes to the precise path, which finds it there).
    """
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        pieces = block.split(b"\n")
        if pieces[-1] == b"":
            pieces.pop()
        texts = []
        for number, piece in enumerate(pieces, start=line + 1):
            try:
                texts.append(piece.decode("utf-8"))
            except UnicodeDecodeError:
                undecodable[number] = piece
                texts.append("\r")
        return texts, True
    odd = '"' in text
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        odd = odd or "\r" in text
    texts = text.split("\n")
    if texts[-1] == "":
        texts.pop()
    return texts, odd
