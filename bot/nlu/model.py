"""The trained intent model as the bot uses it: weights read from one file, scored with numpy.

The file (`bot/data/nlu/model.npz`, built by `python -m bot nlu train`) holds plain arrays —
feature names, their idf, the weight matrix and intercepts, the intent names — read with
`allow_pickle=False`: loading it runs no code. Scoring a message is its features' weights summed
per intent and a softmax of those margins, with «none of them» as one more outcome: well under a
millisecond for a short message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.nlu.corpus import MODEL_FILE
from bot.nlu.features import features, weighted

log = logging.getLogger(__name__)

# What a question is about is said in its first words: a long message is read up to here, so it
# costs no more than a short one.
MAX_CHARS = 300


@dataclass(frozen=True)
class Guess:
    """One intent and how likely the model finds it (0–1)."""

    intent: str
    probability: float


class ModelMissing(RuntimeError):
    """The model file was not built, or by an older version (`make nlu-train`)."""


_ARRAYS = (
    "intents", "vocabulary", "idf", "weights", "intercepts", "threshold", "temperature",
    "none_margin", "char_range", "digest",
)  # fmt: skip


class IntentModel:
    """Ranks the intents a message may mean."""

    def __init__(
        self,
        *,
        intents: list[str],
        vocabulary: list[str],
        idf: npt.NDArray[np.float64],
        weights: npt.NDArray[np.float32],
        intercepts: npt.NDArray[np.float64],
        threshold: float,
        temperature: float,
        none_margin: float,
        char_range: tuple[int, int],
        digest: str,
    ) -> None:
        self.intents = intents
        self.threshold = threshold
        self.temperature = temperature
        self.none_margin = none_margin
        self.digest = digest
        self._index = {feature: row for row, feature in enumerate(vocabulary)}
        self._idf = {feature: float(idf[row]) for row, feature in enumerate(vocabulary)}
        self._weights = weights  # one row per feature, one column per intent
        self._intercepts = intercepts
        self._char_range = char_range

    def rank(self, text: str) -> list[Guess]:
        """Every intent from the most to the least likely; an empty message ranks none."""
        values = weighted(features(text[:MAX_CHARS], *self._char_range), self._idf)
        if not values:
            return []
        rows = np.fromiter((self._index[f] for f in values), dtype=np.int64, count=len(values))
        x = np.fromiter(values.values(), dtype=np.float64, count=len(values))
        margins = x @ self._weights[rows] + self._intercepts
        # Each intent's classifier says «mine» with a positive margin. «None of them» is one more
        # outcome, so a message no classifier claims has no likely intent.
        logits = self.temperature * margins
        none = self.temperature * self.none_margin
        top = max(float(logits.max()), none)
        scores = np.exp(logits - top)
        probabilities = scores / (scores.sum() + np.exp(none - top))
        order = np.argsort(-probabilities)
        return [Guess(self.intents[i], float(probabilities[i])) for i in order]

    def save(self, path: Path) -> None:
        """Writes the model as plain arrays (no pickle)."""
        vocabulary = sorted(self._index, key=self._index.__getitem__)
        np.savez_compressed(
            path,
            intents=np.array(self.intents),
            vocabulary=np.array(vocabulary),
            idf=np.array([self._idf[f] for f in vocabulary]),
            weights=self._weights,
            intercepts=self._intercepts,
            threshold=np.array(self.threshold),
            temperature=np.array(self.temperature),
            none_margin=np.array(self.none_margin),
            char_range=np.array(self._char_range),
            digest=np.array(self.digest),
        )

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> IntentModel:
        """Reads a model file written by `save`."""
        if not path.exists():
            raise ModelMissing(f"{path} is missing: run `python -m bot nlu train`")
        with np.load(path, allow_pickle=False) as arrays:
            missing = set(_ARRAYS) - set(arrays.files)
            if missing:
                raise ModelMissing(f"{path} is outdated: run `python -m bot nlu train`")
            low, high = (int(v) for v in arrays["char_range"])
            return cls(
                intents=[str(v) for v in arrays["intents"]],
                vocabulary=[str(v) for v in arrays["vocabulary"]],
                idf=arrays["idf"].astype(np.float64),
                weights=np.ascontiguousarray(arrays["weights"], dtype=np.float32),
                intercepts=arrays["intercepts"].astype(np.float64),
                threshold=float(arrays["threshold"]),
                temperature=float(arrays["temperature"]),
                none_margin=float(arrays["none_margin"]),
                char_range=(low, high),
                digest=str(arrays["digest"]),
            )


@cache
def shipped_model() -> IntentModel | None:
    """The model the bot uses, read once; None (logged) when it was never built."""
    try:
        return IntentModel.load()
    except ModelMissing:
        log.warning("intent model missing: free text is matched by keywords only")
        return None
