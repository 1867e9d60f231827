"""Greetings and small talk at the start or as the whole of a message.

«Hola buenas tardes, no me llegó el bono» is a question with a greeting in front: the greeting is
split off so the question is answered. Kichwa greetings («alli puncha», «imanalla») are
recognised so the bot greets back before offering its Spanish options. Goodbyes are told apart
from thanks only to choose the words of a short, friendly answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.text import name_key

_GREETINGS = (
    "hola", "holaa", "holi", "ola", "alo", "aloo", "buenas", "wenas", "buenos dias",
    "buenas tardes", "buenas noches", "buen dia", "buenas tardecitas", "buenos diitas",
    "saludos", "saludos cordiales", "un saludo", "que tal", "que mas", "como esta", "como estas",
    "como estan", "como le va", "hi", "hello", "hey", "good morning", "good afternoon",
    "good evening", "hi there", "hello there",
)  # fmt: skip
KICHWA_GREETINGS = (
    "alli puncha", "alli punlla", "alli chishi", "alli tuta", "imanalla", "imanallata",
    "imanallatak", "imanalla kanki", "imanallata kanki", "imanallatak kanki", "rimaykullayki",
)  # fmt: skip
# Words of address after a greeting («hola mija», «buenas tardes señorita», «alli puncha mashi»).
_ADDRESS = frozenset(
    (
        "senor", "senora", "senorita", "senorito", "mija", "mijo", "mijita", "mijito", "amigo",
        "amiga", "amigos", "don", "dona", "licenciado", "licenciada", "licen", "inge",
        "ingeniero", "ingeniera", "doctor", "doctora", "joven", "vecino", "vecina", "mashi",
        "mashikuna", "taita", "mama", "mamita", "taitiku", "kanki", "kankichik", "a", "todos",
        "ustedes", "usted",
    )
)  # fmt: skip
_GOODBYES = frozenset(
    (
        "chao", "chau", "chaito", "adios", "bye", "hasta", "luego", "pronto", "manana",
        "despido", "voy", "retiro", "cuidese", "cuidate", "goodbye",
    )
)  # fmt: skip


@dataclass(frozen=True)
class Greeting:
    """A greeting split off a message: its words, whether Kichwa, and what came after it."""

    words: str
    kichwa: bool
    rest: str


def _leading(words: list[str], phrases: tuple[str, ...]) -> int:
    best = 0
    for phrase in phrases:
        parts = phrase.split()
        if len(parts) > best and words[: len(parts)] == parts:
            best = len(parts)
    return best


def split_greeting(text: str) -> Greeting | None:
    """The greeting(s) at the start of `text` and the rest, or None when it starts otherwise.

    Several greetings in a row («hola buenas tardes», «alli puncha, imanalla») and words of
    address («señorita», «mija», «mashi») all belong to the greeting. `rest` keeps the message's
    own words (accents, digits), only without the greeting in front.
    """
    original = text.split()
    words = [name_key(w) for w in original]
    taken, kichwa = 0, False
    while True:
        while taken < len(words) and not words[taken]:
            taken += 1  # punctuation or emojis between greetings
        spanish = _leading(words[taken:], _GREETINGS)
        native = _leading(words[taken:], KICHWA_GREETINGS)
        if not spanish and not native:
            break
        kichwa = kichwa or native > spanish
        taken += max(spanish, native)
        while taken < len(words) and (words[taken] in _ADDRESS or not words[taken]):
            taken += 1
    if taken == 0:
        return None
    greeting = " ".join(w for w in words[:taken] if w)
    return Greeting(greeting, kichwa, " ".join(original[taken:]).lstrip(" ,.;:!¡-").strip())


def is_goodbye(text: str) -> bool:
    """Whether a small-talk message says goodbye («chao», «hasta luego») rather than thanks."""
    key = name_key(text)
    return bool(set(key.split()) & _GOODBYES) or any(p in key for p in ("nada mas", "nos vemos"))


def question_of(text: str) -> str:
    """What to understand of a message: the words after a greeting, or the whole message when it
    is only a greeting or has none."""
    greeting = split_greeting(text)
    return greeting.rest if greeting is not None and greeting.rest else text
