"""Free text to flow: Spanish keywords matched accent-, case- and typo-tolerantly."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from bot.domain.text import fold
from bot.flows.base import Flow

THRESHOLD = 85


def match_intent(text: str, flows: Sequence[Flow]) -> str | None:
    """Returns the name of the flow whose keywords best match `text`, or None."""
    folded = fold(text)
    if not folded:
        return None
    best_name, best_score = None, 0.0
    for flow in flows:
        for keyword in flow.keywords:
            key = fold(keyword)
            if key in folded:
                score = 100.0 + len(key)
            elif len(key) >= 5:
                score = fuzz.partial_ratio(key, folded)
            else:
                continue
            if score > best_score:
                best_name, best_score = flow.name, score
    return best_name if best_score >= THRESHOLD else None
