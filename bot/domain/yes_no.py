"""Yes, no and «I don't know» in the ways people write them: «si», «sí», «claro», «ya», «simon»,
«dale», «nop», «nel», «no sé», «ni idea» (and «ari», yes in Kichwa; and English).

An answer is read from its first words, so «sí, tiene carnet» is yes and «claro que no» is no;
anything else (a question, a name) is None and the flow asks again with buttons.
"""

from __future__ import annotations

import re
from enum import Enum

from bot.domain.text import name_key


class YesNo(Enum):
    """What a yes/no answer said."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


_UNKNOWN = (
    "no se", "nose", "no lo se", "no sabria", "no sabemos", "ni idea", "quien sabe", "sabe dios",
    "no estoy seguro", "no estoy segura", "no recuerdo", "no me acuerdo", "no tengo idea",
    "tal vez", "talvez", "quizas", "quiza", "capaz", "mas o menos", "puede ser",
    "dont know", "i dont know", "not sure", "no idea", "maybe",
)  # fmt: skip
_NO = (
    "no", "nop", "nope", "nou", "nel", "nones", "negativo", "para nada", "nunca", "tampoco",
    "ninguno", "ninguna", "nada", "claro que no", "por supuesto que no", "obvio que no",
    "noo", "nah", "not", "never",
)  # fmt: skip
_YES = (
    "si", "sip", "sii", "claro", "claro que si", "ya", "simon", "dale", "ok", "okey", "oki",
    "bueno", "de acuerdo", "correcto", "exacto", "eso", "asi es", "afirmativo", "por supuesto",
    "obvio", "obviamente", "listo", "va", "sale", "efectivamente", "cierto", "ari", "arinchu",
    "yes", "yeah", "yep", "sure", "of course", "right", "correct",
)  # fmt: skip
_STRETCHED = re.compile(r"([a-z])\1{2,}")  # «siii», «nooo», «yaaa»


def _starts_with(words: list[str], phrases: tuple[str, ...]) -> int:
    """The length in words of the longest phrase `words` starts with (0 when none)."""
    best = 0
    for phrase in phrases:
        parts = phrase.split()
        if len(parts) > best and words[: len(parts)] == parts:
            best = len(parts)
    return best


def read_yes_no(text: str) -> YesNo | None:
    """YES, NO or UNKNOWN from the message's first words; None when it is not such an answer."""
    words = [_STRETCHED.sub(r"\1", w) for w in name_key(text).split()]
    if not words:
        return None
    unknown = _starts_with(words, _UNKNOWN)
    no = _starts_with(words, _NO)
    yes = _starts_with(words, _YES)
    if unknown and unknown >= no:
        return YesNo.UNKNOWN
    if no >= yes and no:
        return YesNo.NO
    if yes:
        # «sí, pero no…» stays yes; «claro que no» was caught above as the longer no-phrase.
        return YesNo.YES
    return None
