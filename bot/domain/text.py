"""Text normalisation shared by lookups: accents, case and spacing do not matter."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Returns `text` lower-cased, without accents (ñ kept as n) and with single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def name_key(text: str) -> str:
    """Returns the lookup key of a place name: folded, punctuation removed."""
    return _SPACES.sub(" ", re.sub(r"[^a-z0-9 ]", " ", fold(text))).strip()
