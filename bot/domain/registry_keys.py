"""The repeat keys an import has seen (cédula + programme packed in one int), 8 bytes each.

A registry import reports a cédula + programme repeated anywhere in the file, so it remembers
every key it has read. A Python `set` of a million ints holds ≈ 70 MB, the one part of the
import that grew with the file. `SeenKeys` keeps the latest keys in a small set and folds
them, every `RECENT_LIMIT` keys, into one sorted `array('q')` of machine integers (8 bytes a
key, 8 MB at a million rows) searched by bisection; membership and order of insertion are
those of a set.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left

import numpy as np

RECENT_LIMIT = 1 << 16  # ≈ 4 MB of set at most, folded into the array when full


class SeenKeys:
    """A set of int keys within 64 bits (`in`, `add`) held in ≈ 8 bytes a key."""

    def __init__(self) -> None:
        self._recent: set[int] = set()
        self._sorted = array("q")

    def __contains__(self, key: object) -> bool:
        if key in self._recent:
            return True
        keys = self._sorted
        if not keys or not isinstance(key, int):
            return False
        at = bisect_left(keys, key)
        return at < len(keys) and keys[at] == key

    def add(self, key: int) -> None:
        """Remembers `key` (callers ask `in` first; a key held twice is folded once)."""
        self._recent.add(key)
        if len(self._recent) >= RECENT_LIMIT:
            self._fold()

    def _fold(self) -> None:
        recent = np.fromiter(self._recent, dtype=np.int64, count=len(self._recent))
        held = np.frombuffer(self._sorted, dtype=np.int64) if self._sorted else recent[:0]
        keys = array("q")
        keys.frombytes(np.union1d(held, recent).tobytes())  # sorted, each key once
        self._sorted = keys
        self._recent = set()
