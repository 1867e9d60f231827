"""SMS text rules: encoding, segment count and transliteration (pure, no I/O).

GSM-7 fits 160 characters in one segment and 153 per segment when concatenated; anything outside
the GSM 03.38 alphabet turns the whole message into UCS-2: 70, or 67 per segment. In Spanish,
é ñ ü ¿ ¡ are GSM-7 but á í ó ú are not, so one accent can more than double a message's cost.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

GSM = "gsm03.38"


@functools.lru_cache(maxsize=4096)
def _char_septets(char: str) -> int | None:
    try:
        return len(char.encode(GSM))  # extension characters ({ } € …) take two septets
    except UnicodeEncodeError:
        return None


def _gsm_septets(text: str) -> int | None:
    # Per character, cached: the codec is pure Python, and SMS rendering measures many texts.
    total = 0
    for char in text:
        septets = _char_septets(char)
        if septets is None:
            return None
        total += septets
    return total


@dataclass(frozen=True)
class SegmentInfo:
    """How a text travels: its encoding, its length in units and the segments it takes."""

    encoding: Literal["GSM-7", "UCS-2"]
    units: int
    segments: int


def segment_info(text: str) -> SegmentInfo:
    """Counts the SMS segments of `text` (GSM-7 160/153, UCS-2 70/67)."""
    septets = _gsm_septets(text)
    if septets is not None:
        segments = 1 if septets <= 160 else math.ceil(septets / 153)
        return SegmentInfo("GSM-7", septets, max(segments, 1))
    units = len(text.encode("utf-16-le")) // 2
    segments = 1 if units <= 70 else math.ceil(units / 67)
    return SegmentInfo("UCS-2", units, max(segments, 1))


def transliterate(text: str) -> str:
    """Replaces characters outside GSM-7 by their unaccented letter when that one is GSM-7.

    á→a, Í→I, ó→o, ú→u… while é, ñ, ü, ¿, ¡ (which are GSM-7) are kept as they are.
    """
    out: list[str] = []
    for char in text:
        if _gsm_septets(char) is not None:
            out.append(char)
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        out.append(base if base and _gsm_septets(base) is not None else char)
    return "".join(out)


def prepare_sms(text: str, *, transliterate_accents: bool) -> str:
    """The text as it will be sent: trimmed and, if configured, transliterated to stay GSM-7."""
    text = " ".join(text.split()) if "\n" not in text else text.strip()
    return transliterate(text) if transliterate_accents else text


def estimated_cost(segments: int, recipients: int, cost_per_segment: float) -> Decimal:
    """The estimated cost in USD of sending `segments` to `recipients`."""
    per = Decimal(str(cost_per_segment))
    return (per * segments * recipients).quantize(Decimal("0.01"))


# Typographic characters outside GSM-7 with a plain equivalent inside it.
_PLAIN = str.maketrans(
    {
        "«": '"',
        "»": '"',
        "“": '"',
        "”": '"',
        "„": '"',
        "‘": "'",
        "’": "'",
        "–": "-",
        "—": "-",
        "•": "-",
        "·": "-",
        "…": "...",
        "\u00a0": " ",
        "\t": " ",
    }
)


def gsm_only(text: str) -> str:
    """The text in GSM-7 only: accents transliterated, quotes and dashes made plain, emoji and
    any other character outside the alphabet dropped (so one emoji never makes it UCS-2)."""
    kept = "".join(map(_gsm_char, text.translate(_PLAIN)))
    lines = [" ".join(line.split()) for line in kept.split("\n")]
    return "\n".join(line for line in lines if line).strip()


@functools.lru_cache(maxsize=4096)
def _gsm_char(char: str) -> str:
    """One character as GSM-7 keeps it: itself, its unaccented letter, or nothing."""
    plain = transliterate(char)
    return plain if _gsm_septets(plain) is not None else ""


def fits(text: str, max_segments: int) -> bool:
    """True when `text` travels in at most `max_segments` segments."""
    return segment_info(text).segments <= max_segments


_SENTENCE_ENDS = (". ", "! ", "? ", ".\n", "!\n", "?\n", ":\n", "\n")


def _last_sentence_end(room: str) -> int:
    """Where the last whole sentence or line of `room` ends (0: none); «3. » is a list number."""
    best = 0
    for end in _SENTENCE_ENDS:
        at = room.rfind(end)
        while at > 0 and end[0] == "." and room[at - 1].isdigit():
            at = room.rfind(end, 0, at)
        if at >= 0:
            best = max(best, at + len(end.rstrip(" ")))
    return best


def shorten(text: str, max_segments: int, *, suffix: str = "") -> str:
    """Shortens `text` (plus `suffix`) to `max_segments` segments, never cutting a word.

    Prefers the end of a sentence or line; cuts after a whole word (marked "...") only when the
    last sentence end would throw away more than a third of what fits.
    """
    if fits(text + suffix, max_segments):
        return text + suffix
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits, with the mark and the suffix
        middle = (low + high + 1) // 2
        if fits(text[:middle].rstrip() + "..." + suffix, max_segments):
            low = middle
        else:
            high = middle - 1
    room = text[:low]
    sentence = _last_sentence_end(room)
    if sentence > 0 and sentence >= len(room) * 2 // 3:
        return text[:sentence].rstrip() + suffix
    if low < len(text) and not text[low].isspace():
        cut = room.rfind(" ")
        cut = max(cut, room.rfind("\n"))
        room = room[:cut] if cut > 0 else ""
    return room.rstrip(" ,;:\n") + "..." + suffix
