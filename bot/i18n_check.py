"""Strict check of a gettext catalog before `make i18n` compiles it.

`pybabel compile` accepts broken lines (an unterminated string, a stray word) and does not compare
`{placeholders}`, so a typo in a translation would only show as a `KeyError` when an English user
reaches that message. `python -m bot.i18n_check PO…` fails (exit 1) and lists every problem:
invalid PO syntax, a fuzzy header (pybabel would silently skip the catalog), a translation whose
`{name}` fields differ from its msgid, or one with unbalanced braces.
Untranslated entries are allowed here (they fall back to Spanish); the catalog test demands them.
"""

from __future__ import annotations

import re
import string
import sys
from collections.abc import Sequence
from pathlib import Path

from babel.messages.pofile import PoFileError, read_po

_QUOTED = r'"(?:[^"\\]|\\.)*"'
_PO_LINE = re.compile(
    rf"^(?:#.*|(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+{_QUOTED}|{_QUOTED})$"
)

Field = tuple[str, str, str | None]


def placeholders(text: str) -> set[Field]:
    """The `{name:spec!conv}` fields of a brace-format text; ValueError if braces are unbalanced."""
    return {
        (name, spec or "", conversion)
        for _, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    }


def _texts(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def placeholder_problems(msgid: str | Sequence[str], msgstr: str | Sequence[str] | None) -> str:
    """Why a translation's fields do not match its msgid ('' when they do or it is empty)."""
    sources = _texts(msgid)
    for index, translation in enumerate(_texts(msgstr)):
        if not translation:
            continue
        source = sources[min(index, len(sources) - 1)]
        try:
            wanted, got = placeholders(source), placeholders(translation)
        except ValueError as error:
            return f"{translation!r}: {error}"
        if wanted != got:
            names = sorted(f"{{{name}}}" for name, _, _ in wanted ^ got)
            return f"{source!r} → {translation!r}: fields differ ({', '.join(names)})"
    return ""


def check_po(path: Path) -> list[str]:
    """Every problem of the catalog at `path`, as 'file:line: what' texts (empty when sound)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        return [f"{path}: cannot read as UTF-8: {error}"]
    problems = [
        f"{path}:{number}: not valid PO syntax: {line[:70]!r}"
        for number, line in enumerate(lines, start=1)
        if line.strip() and not _PO_LINE.match(line.strip())
    ]
    if problems:
        return problems
    try:
        with path.open("rb") as po:
            catalog = read_po(po, abort_invalid=True)
    except PoFileError as error:
        return [f"{path}: {error}"]
    if catalog.fuzzy:
        problems.append(f"{path}: the header is marked fuzzy; pybabel would skip the catalog")
    for message in catalog:
        if not message.id:
            continue
        problem = placeholder_problems(message.id, message.string)
        if problem:
            lineno = message.lineno or 0
            problems.append(f"{path}:{lineno}: {problem}")
    return problems


def main(argv: Sequence[str]) -> int:
    """Checks each .po given; prints the problems on stderr and returns 1 if there are any."""
    problems = [problem for arg in argv for problem in check_po(Path(arg))]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems or not argv else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
