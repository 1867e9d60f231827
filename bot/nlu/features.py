"""What a message looks like to the recogniser: normalised words and their character n-grams.

The same function turns corpus phrasings (at training) and citizens' messages (at run time) into
features, so the two can never drift apart. People write without accents, with stretched letters
(«holaaa»), abbreviations and typos: character n-grams of each word make «bonoo», «bomo» and
«bono» share most features, and whole words and word pairs keep the phrase's sense.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Mapping

from bot.domain.text import fold

_APOSTROPHES = re.compile(r"['’‘ʼ`´]")
_NOT_WORD = re.compile(r"[\W_]+")
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")  # «holaaa», «graciasss»
_NUMBER = re.compile(r"\d+")
# Emojis said instead of words; any other emoji is dropped with the punctuation.
_EMOJI_WORDS = {"👍": " ok ", "👌": " ok ", "🙏": " gracias ", "👋": " hola ", "🙋": " hola "}
# Common phone spellings written the long way, so «q», «xq» and «porq» read as the words.
_SHORTHAND = {
    "q": "que",
    "k": "que",
    "ke": "que",
    "xq": "porque",
    "xk": "porque",
    "porq": "porque",
    "pq": "porque",
    "pk": "porque",
    "x": "por",
    "xfa": "porfa",
    "pls": "porfa",
    "tb": "tambien",
    "tmb": "tambien",
    "d": "de",
    "dl": "del",
    "cdla": "cedula",
    "nro": "numero",
    "num": "numero",
}


def normalise(text: str) -> str:
    """Lower-case words without accents, punctuation or apostrophes; numbers become «0»."""
    for emoji, word in _EMOJI_WORDS.items():
        if emoji in text:
            text = text.replace(emoji, word)
    words = _NOT_WORD.sub(" ", _APOSTROPHES.sub("", fold(text)))
    words = _NUMBER.sub("0", _STRETCHED.sub(r"\1", words))
    return " ".join(_SHORTHAND.get(word, word) for word in words.split())


def features(text: str, char_min: int, char_max: int) -> Counter[str]:
    """Counts of the message's features: words (`w:`), word pairs (`b:`) and n-grams (`c:`)."""
    words = normalise(text).split()
    found: Counter[str] = Counter()
    for word in words:
        found["w:" + word] += 1
        padded = f" {word} "
        for size in range(char_min, char_max + 1):
            for start in range(len(padded) - size + 1):
                found["c:" + padded[start : start + size]] += 1
    for first, second in itertools.pairwise(words):
        found[f"b:{first} {second}"] += 1
    return found


def weighted(counts: Mapping[str, int], idf: Mapping[str, float]) -> dict[str, float]:
    """Sublinear tf × idf, L2-normalised, of the known features (unknown ones carry nothing)."""
    values = {f: (1.0 + math.log(n)) * idf[f] for f, n in counts.items() if f in idf}
    norm = math.sqrt(sum(v * v for v in values.values()))
    return {f: v / norm for f, v in values.items()} if norm else {}
