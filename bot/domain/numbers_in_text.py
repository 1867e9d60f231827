"""A number inside the words around it: «72 añitos», «tiene 80», «el 45 por ciento», «setenta».

Citizens answer «¿Qué edad tiene?» with a sentence, not a bare number. The number is found among
the words, in digits or written out in Spanish up to «cien»; when there are several, the one
followed by the unit asked for («años», «%») wins, else the first. Whether the value makes sense
is the flow's to decide: out of range, it is confirmed with the citizen, never refused or used
silently (`NumberReading.in_range`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.text import fold

_UNITS = {
    "cero": 0, "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
    "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12,
    "trece": 13, "catorce": 14, "quince": 15, "dieciseis": 16, "diecisiete": 17,
    "dieciocho": 18, "diecinueve": 19, "veinte": 20, "veintiuno": 21, "veintiun": 21,
    "veintidos": 22, "veintitres": 23, "veinticuatro": 24, "veinticinco": 25,
    "veintiseis": 26, "veintisiete": 27, "veintiocho": 28, "veintinueve": 29,
}  # fmt: skip
_TENS = {
    "treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60, "setenta": 70,
    "ochenta": 80, "noventa": 90,
}  # fmt: skip
_HUNDRED = {"cien": 100, "ciento": 100}
# Written numbers that are ordinary words too («una casa», «un hijo»): only counted when followed
# by a unit, so «tiene una hija de 8» reads 8.
_AMBIGUOUS = {"un", "una", "uno"}
_TOKEN = re.compile(r"\d+(?:[.,]\d+)?|[a-zñ]+|%")
AGE_UNITS = ("anos", "ano", "anitos", "anito", "abriles", "years")
PERCENT_UNITS = ("%", "por", "porciento", "percent")


@dataclass(frozen=True)
class NumberReading:
    """The number found and whether it lies in the range the question expects."""

    value: int
    in_range: bool


def _words(text: str) -> list[str]:
    return _TOKEN.findall(fold(text).replace("ñ", "n"))


def _numbers(tokens: list[str]) -> list[tuple[int, int, bool]]:
    """(value, index of the token after it, written out in words?) for each number found."""
    found: list[tuple[int, int, bool]] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token[0].isdigit():
            found.append((int(re.split(r"[.,]", token)[0]), i + 1, False))
            i += 1
            continue
        value, j = _written(tokens, i)
        if j > i:
            found.append((value, j, True))
            i = j
        else:
            i += 1
    return found


def _written(tokens: list[str], i: int) -> tuple[int, int]:
    """The written-out number starting at token `i` and the index after it (i when none)."""
    value, j = 0, i
    if j < len(tokens) and tokens[j] in _HUNDRED:
        value, j = 100, j + 1
    if j < len(tokens) and tokens[j] in _TENS:
        value, j = value + _TENS[tokens[j]], j + 1
        if j + 1 < len(tokens) and tokens[j] == "y" and tokens[j + 1] in _UNITS:
            value, j = value + _UNITS[tokens[j + 1]], j + 2
    elif j < len(tokens) and tokens[j] in _UNITS:
        value, j = value + _UNITS[tokens[j]], j + 1
    return value, j


def find_number(text: str, units: Iterable[str] = ()) -> int | None:
    """The number the citizen gave in `text`, or None when there is none.

    With `units`, a number followed by one of them wins over the others («tengo 3 hijos y 72
    años», units=AGE_UNITS → 72); the words «un», «una» count only before a unit.
    """
    tokens = _words(text)
    wanted = tuple(units)
    found = _numbers(tokens)
    with_unit = [v for v, after, _ in found if after < len(tokens) and tokens[after] in wanted]
    if with_unit:
        return with_unit[0]
    plain = [v for v, after, words in found if not (words and tokens[after - 1] in _AMBIGUOUS)]
    return plain[0] if plain else None


def read_number(
    text: str, *, low: int, high: int, units: Iterable[str] = ()
) -> NumberReading | None:
    """The number in `text` with whether it is in [low, high]; None when there is none."""
    value = find_number(text, units)
    if value is None:
        return None
    return NumberReading(value, low <= value <= high)
