"""Free text to flow: phrases in any language, matched accent-, case- and typo-tolerantly.

The phrases are the flows' own `keywords` (Spanish) plus `bot/data/intents.toml` (English, and
greetings), all matched whatever the contact's locale: people mix languages. Message and phrase are
compared as words: case, accents, punctuation and emojis do not count, apostrophes are dropped and
stretched letters shrink ("holaaa"). A phrase matches a run of whole words of the message, never
part of a word: as it is, in the plural, without its spaces, or within a few typos, more for longer
phrases (see the data file's header). The longest match wins, less its typos; flows marked
`fallback` (greetings) win only when no other flow matches.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, model_validator
from rapidfuzz import process
from rapidfuzz.distance import OSA, Indel

from bot.domain.text import fold
from bot.flows.base import Flow

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "intents.toml"
# Typos a phrase may carry, by its length in characters (spaces included): from 6, a letter or a
# space missing, extra, wrong or swapped with the next (optimal string alignment distance); at 5,
# only one missing or extra ("ayda", "ayudda": a wrong letter would make "queda" a "queja");
# shorter phrases only exactly ("hi", "help").
FUZZY_MIN_CHARS = 5
_TYPOS_BY_LENGTH = ((16, 3), (10, 2), (6, 1), (FUZZY_MIN_CHARS, 1))
# Typos are looked for among the first words only (about 1,000 characters), so a long message costs
# no more than a short one; exact phrases are found anywhere.
FUZZY_WORDS = 150
_APOSTROPHES = re.compile(r"['’‘ʼ`´]")
_NOT_WORD = re.compile(r"[\W_]+")
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")  # "holaaa", "ayudaaa", "helppp"


def normalise(text: str) -> str:
    """Returns `text` as lower-case words without accents, punctuation, emojis or apostrophes,
    and with a letter repeated three times or more written once."""
    words = _NOT_WORD.sub(" ", _APOSTROPHES.sub("", fold(text)))
    return _STRETCHED.sub(r"\1", words).strip()


def typos_allowed(phrase: str) -> int:
    """How many edits a normalised phrase may differ by and still match."""
    return next((typos for least, typos in _TYPOS_BY_LENGTH if len(phrase) >= least), 0)


class FlowVocabulary(BaseModel):
    """The data file's phrases of one flow, per language."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    fallback: bool = False
    es: tuple[str, ...] = ()
    en: tuple[str, ...] = ()

    @property
    def phrases(self) -> tuple[str, ...]:
        """Every phrase, all languages together."""
        return self.es + self.en

    @model_validator(mode="after")
    def _phrases_are_plain_words(self) -> Self:
        seen: set[str] = set()
        for phrase in self.phrases:
            key = normalise(phrase)
            if not key or key != phrase:
                raise ValueError(f"write {phrase!r} as {key!r}: lower-case words, no accents")
            if key in seen:
                raise ValueError(f"phrase {phrase!r} listed twice")
            seen.add(key)
        return self


@cache
def vocabulary(path: Path = DATA_FILE) -> dict[str, FlowVocabulary]:
    """The data file's phrases per flow name, validated."""
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    return {name: FlowVocabulary.model_validate(table) for name, table in raw.items()}


@dataclass(frozen=True)
class _Phrase:
    flow: str
    key: str  # normalised
    forms: tuple[str, ...]  # what an exact match looks like in the padded message
    typos: int
    scorer: Callable[..., int]

    @classmethod
    def of(cls, flow: str, key: str) -> _Phrase:
        """The phrase `key` of `flow`, with its exact forms: as whole words, with its last word in
        the plural ("quejas", "reuniones") and without its spaces ("nosubeapago")."""
        forms = [key]
        if len(key) >= FUZZY_MIN_CHARS:
            forms += [f"{key}s", f"{key}es"]
        if " " in key:
            forms.append(key.replace(" ", ""))
        scorer = OSA.distance if len(key) > FUZZY_MIN_CHARS else Indel.distance
        return cls(flow, key, tuple(f" {f} " for f in forms), typos_allowed(key), scorer)


@dataclass(frozen=True)
class _Index:
    main: tuple[_Phrase, ...]
    fallback: tuple[_Phrase, ...]
    longest_run: int  # the longest run of words any phrase may be compared with


@lru_cache(maxsize=8)
def _index(flows: tuple[tuple[str, tuple[str, ...]], ...]) -> _Index:
    """The phrases of these (name, keywords) flows and of the data file, in flow order."""
    extra = vocabulary()
    main: list[_Phrase] = []
    fallback: list[_Phrase] = []
    for name, keywords in flows:
        vocab = extra.get(name, FlowVocabulary())
        target = fallback if vocab.fallback else main
        for key in dict.fromkeys(normalise(phrase) for phrase in (*keywords, *vocab.phrases)):
            if key:
                target.append(_Phrase.of(name, key))
    longest = max((len(p.key) + p.typos for p in (*main, *fallback)), default=0)
    return _Index(tuple(main), tuple(fallback), longest)


class _Message:
    """A message's words, and the runs of whole words that phrases are compared with."""

    def __init__(self, text: str, longest_run: int) -> None:
        self.words = normalise(text).split()
        self.padded = " " + " ".join(self.words) + " "
        self._longest_run = longest_run
        self._by_length: dict[int, dict[str, None]] | None = None
        self._runs: dict[range, list[str]] = {}

    def runs(self, lengths: range) -> list[str]:
        """The distinct runs of whole words, among the first `FUZZY_WORDS`, whose length
        (spaces included) is in `lengths`."""
        if self._by_length is None:
            self._by_length = {}
            words = self.words[:FUZZY_WORDS]
            for start in range(len(words)):
                run = ""
                for word in words[start:]:
                    run = f"{run} {word}" if run else word
                    if len(run) > self._longest_run:
                        break
                    self._by_length.setdefault(len(run), {})[run] = None
        if lengths not in self._runs:
            self._runs[lengths] = [run for n in lengths for run in self._by_length.get(n, ())]
        return self._runs[lengths]


def _best(message: _Message, phrases: Sequence[_Phrase]) -> str | None:
    """The flow of the best match (first in order on a tie), or None when nothing matches.

    A match scores its length less its typos; on a tie the exact one, then the first, wins.
    """
    best_flow: str | None = None
    best = (0, 0)  # (characters matched less typos, -typos)
    for phrase in phrases:
        size = len(phrase.key)
        if (size, 0) > best and any(form in message.padded for form in phrase.forms):
            best_flow, best = phrase.flow, (size, 0)
    # Fuzzy matching only for the phrases that could still beat the best exact match.
    for phrase in phrases:
        size = len(phrase.key)
        if not phrase.typos or (size - 1, -1) <= best:
            continue
        # Runs of whole words only: a phrase is never found inside a longer word
        # ("event" in "eventually"), but a verb ending may be a typo away.
        candidates = message.runs(range(size - phrase.typos, size + phrase.typos + 1))
        cutoff = min(phrase.typos, size - best[0])
        found = process.extractOne(
            phrase.key, candidates, scorer=phrase.scorer, score_cutoff=cutoff
        )
        typos = None if found is None else int(found[1])
        if typos is not None and (size - typos, -typos) > best:
            best_flow, best = phrase.flow, (size - typos, -typos)
    return best_flow


def match_intent(text: str, flows: Sequence[Flow]) -> str | None:
    """Returns the name of the flow whose phrases best match `text`, or None."""
    index = _index(tuple((flow.name, tuple(flow.keywords)) for flow in flows))
    message = _Message(text, index.longest_run)
    if not message.words:
        return None
    return _best(message, index.main) or _best(message, index.fallback)
