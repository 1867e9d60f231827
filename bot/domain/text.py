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


# Control characters a citizen may type (or paste) that no store or screen should receive:
# C0/C1 controls (NUL is refused by PostgreSQL) and lone surrogates (not encodable as UTF-8).
_KEPT_CONTROLS = {"\n", "\t"}
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")


def clean_input(text: str) -> str:
    """Returns citizen text without control characters (newline and tab kept; CR becomes newline).

    Applied where text enters the product (Telegram, SMS, console), so a NUL or a stray escape
    never reaches the database, a log or a staff screen.
    """
    if text.isprintable():  # the common case: nothing to remove
        return text
    text = _NEWLINES.sub("\n", text)
    return "".join(
        c for c in text if c in _KEPT_CONTROLS or unicodedata.category(c) not in ("Cc", "Cs")
    )


# A link or a bare domain a chat client would make clickable: scheme://…, www.…, name.tld/…
_LINK = re.compile(
    r"(?i)\b(?:[a-z][a-z0-9+.\-]*://\S+|www\.\S+|(?:[a-z0-9\-]+\.)+[a-z]{2,}(?:[/:?#]\S*)?)"
)
_SCHEME = re.compile(r"(?i)^([a-z][a-z0-9+.\-]*)://")


_TRAILING = ".,;:!?)]}»”\"'"


def _defang(match: re.Match[str]) -> str:
    whole = match.group(0)
    link = whole.rstrip(_TRAILING)  # «visite x.com/pago.» ends a sentence, not the link
    tail = whole[len(link) :]
    scheme = _SCHEME.match(link)
    if scheme:
        name = scheme.group(1).lower()
        rest = link[scheme.end() :]
        safe = {"http": "hxxp", "https": "hxxps"}.get(name, name.replace("t", "x", 1))
        link = f"{safe}[://]{rest}"
    return link.replace(".", "[.]") + tail


def for_staff(text: str) -> str:
    """Returns citizen text safe to show staff: plain, visible, with its links defanged.

    Links become `hxxps[://]pagos-mies[.]com`, so no chat client makes them clickable.

    Format characters (Unicode category Cf: right-to-left overrides and isolates, zero-width
    spaces and joiners, the BOM) can disguise a link or reorder what staff read; they are removed.
    """
    cleaned = "".join(c for c in clean_input(text) if unicodedata.category(c) != "Cf")
    return _LINK.sub(_defang, cleaned)
