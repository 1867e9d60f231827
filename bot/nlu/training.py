"""Training the intent model from the corpus with scikit-learn (run by `python -m bot nlu train`).

Features and their weighting come from `bot.nlu.features`, the same code the bot runs, so a
message scores at run time exactly as it did here; scikit-learn only fits the linear
support-vector classifier (one intent against the rest). Under a second on a laptop.
"""

from __future__ import annotations

import math
import random
from collections import Counter

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.svm import LinearSVC

from bot.nlu.corpus import Example, RecogniserSettings
from bot.nlu.features import features, normalise, weighted
from bot.nlu.model import IntentModel

# Short words people leave out when they type fast («no llego bono», «quiero pension»).
_DROPPABLE = frozenset(
    (
        "el", "la", "los", "las", "lo", "de", "del", "mi", "mis", "me", "un", "una", "a", "en",
        "y", "que", "por", "para", "se",
    )
)  # fmt: skip
_AUGMENT_SEED = 17  # fixed: the same corpus always trains the same model


def _typo(word: str, rnd: random.Random) -> str:
    """`word` with one letter dropped, doubled or swapped with the next (a thumb's slip)."""
    at = rnd.randrange(1, len(word) - 1)
    kind = rnd.randrange(3)
    if kind == 0:
        return word[:at] + word[at + 1 :]
    if kind == 1:
        return word[:at] + word[at] + word[at:]
    return word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]


def augment(examples: list[Example]) -> list[Example]:
    """The examples plus, for each, two typo'd copies and one without its short words.

    The corpus is written by people, typos included; these copies teach the model that a slip
    of the thumb or a dropped «el» does not change what is asked. Only training sees them.
    """
    rnd = random.Random(_AUGMENT_SEED)
    extra: list[Example] = []
    for example in examples:
        words = normalise(example.text).split()
        long_words = [i for i, word in enumerate(words) if len(word) > 3]
        for _ in range(2 if long_words else 0):
            i = rnd.choice(long_words)
            typoed = [*words[:i], _typo(words[i], rnd), *words[i + 1 :]]
            extra.append(Example(example.intent, " ".join(typoed)))
        kept = [word for word in words if word not in _DROPPABLE]
        if kept and len(kept) < len(words):
            extra.append(Example(example.intent, " ".join(kept)))
    return examples + extra


def train(examples: list[Example], settings: RecogniserSettings, digest: str) -> IntentModel:
    """Fits a model on `examples` (and their augmented copies) with the settings' recipe."""
    examples = augment(examples)
    char_range = (settings.char_min, settings.char_max)
    counted = [features(e.text, *char_range) for e in examples]
    document_frequency: Counter[str] = Counter()
    for counts in counted:
        document_frequency.update(counts.keys())
    vocabulary = sorted(document_frequency)
    total = len(examples)
    # scikit-learn's smoothed idf: ln((1 + n) / (1 + df)) + 1.
    idf = {f: math.log((1 + total) / (1 + df)) + 1 for f, df in document_frequency.items()}
    column = {f: i for i, f in enumerate(vocabulary)}
    rows: list[int] = []
    columns: list[int] = []
    values: list[float] = []
    for row, counts in enumerate(counted):
        for feature, value in weighted(counts, idf).items():
            rows.append(row)
            columns.append(column[feature])
            values.append(value)
    matrix = csr_matrix((values, (rows, columns)), shape=(total, len(vocabulary)))
    intents = sorted({e.intent for e in examples})
    labels = np.array([intents.index(e.intent) for e in examples])
    classifier = LinearSVC(C=settings.regularisation_c)
    classifier.fit(matrix, labels)
    return IntentModel(
        intents=intents,
        vocabulary=vocabulary,
        idf=np.array([idf[f] for f in vocabulary]),
        weights=np.ascontiguousarray(classifier.coef_.T, dtype=np.float32),
        intercepts=classifier.intercept_.astype(np.float64),
        threshold=settings.threshold,
        temperature=settings.temperature,
        none_margin=settings.none_margin,
        char_range=char_range,
        digest=digest,
    )
