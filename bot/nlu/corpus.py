"""The labelled corpus of citizen phrasings and its fixed held-out split.

One file per intent, `bot/data/nlu/corpus/<intent>.txt`: one phrasing per line, `#` starts a
comment line. The held-out split is chosen by a hash of each phrasing, so it stays the same from
run to run and machine to machine, and a new phrasing never moves an old one between the splits.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bot.nlu.features import normalise

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "nlu"
CORPUS_DIR = DATA_DIR / "corpus"
SETTINGS_FILE = DATA_DIR / "recogniser.toml"
OUT_OF_SCOPE_FILE = DATA_DIR / "out_of_scope.txt"
BLIND_FILE = DATA_DIR / "blind_check.txt"
MODEL_FILE = DATA_DIR / "model.npz"  # built by `python -m bot nlu train`, git-ignored


@dataclass(frozen=True)
class Example:
    """One labelled phrasing."""

    intent: str
    text: str


@dataclass(frozen=True)
class RecogniserSettings:
    """`bot/data/nlu/recogniser.toml`: training recipe and the confidence threshold."""

    heldout_every: int
    threshold: float
    temperature: float
    none_margin: float
    regularisation_c: float
    char_min: int
    char_max: int


def load_settings(path: Path = SETTINGS_FILE) -> RecogniserSettings:
    """Reads the recogniser's settings file."""
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    return RecogniserSettings(
        heldout_every=int(raw["heldout_every"]),
        threshold=float(raw["threshold"]),
        temperature=float(raw["temperature"]),
        none_margin=float(raw["none_margin"]),
        regularisation_c=float(raw["regularisation_c"]),
        char_min=int(raw["char_min"]),
        char_max=int(raw["char_max"]),
    )


class CorpusError(ValueError):
    """A corpus file that would train a misleading model (a phrasing under two intents)."""


def load_corpus(directory: Path = CORPUS_DIR) -> list[Example]:
    """Every phrasing, by intent file name; a duplicate within an intent is kept once.

    The same normalised phrasing under two intents is refused: the model could only guess.
    """
    examples: list[Example] = []
    owner: dict[str, str] = {}
    for path in sorted(directory.glob("*.txt")):
        intent = path.stem
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            key = normalise(text) or text
            if key in owner:
                if owner[key] != intent:
                    raise CorpusError(f"{text!r} is under both {owner[key]} and {intent}")
                continue
            owner[key] = intent
            examples.append(Example(intent, text))
    return examples


def load_out_of_scope(path: Path = OUT_OF_SCOPE_FILE) -> list[str]:
    """Messages with no answer, to check that the model is unsure of them (never trained on)."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def load_blind_check(path: Path = BLIND_FILE) -> list[Example]:
    """The blind check (`intent | message` lines): never trained on, never used to tune."""
    examples: list[Example] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            intent, _, text = line.partition("|")
            examples.append(Example(intent.strip(), text.strip()))
    return examples


def corpus_digest(directory: Path = CORPUS_DIR) -> str:
    """A digest of the corpus files and settings, stored in the model to notice a stale one."""
    digest = hashlib.sha256()
    for path in [*sorted(directory.glob("*.txt")), SETTINGS_FILE]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _held_out(example: Example, every: int) -> bool:
    digest = hashlib.sha256(f"{example.intent}\n{example.text}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % every == 0


def split(examples: list[Example], every: int) -> tuple[list[Example], list[Example]]:
    """(training, held-out): about one phrasing in `every` of each intent is held out, chosen by
    its own hash (so adding a phrasing never moves another one between the splits)."""
    training = [e for e in examples if not _held_out(e, every)]
    heldout = [e for e in examples if _held_out(e, every)]
    return training, heldout
