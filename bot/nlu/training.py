"""Training the intent model from the corpus with scikit-learn (run by `python -m bot nlu train`).

Features and their weighting come from `bot.nlu.features`, the same code the bot runs, so a
message scores at run time exactly as it did here; scikit-learn only fits the multinomial
logistic regression. A few seconds on a laptop.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

from bot.nlu.corpus import Example, RecogniserSettings
from bot.nlu.features import features, weighted
from bot.nlu.model import IntentModel


def train(examples: list[Example], settings: RecogniserSettings, digest: str) -> IntentModel:
    """Fits a model on `examples` with the settings' recipe."""
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
    classifier = LogisticRegression(C=settings.regularisation_c, max_iter=2000)
    classifier.fit(matrix, labels)
    return IntentModel(
        intents=intents,
        vocabulary=vocabulary,
        idf=np.array([idf[f] for f in vocabulary]),
        weights=np.ascontiguousarray(classifier.coef_.T, dtype=np.float32),
        intercepts=classifier.intercept_.astype(np.float64),
        threshold=settings.threshold,
        char_range=char_range,
        digest=digest,
    )
