"""`SeenKeys` answers `in` exactly as a set would, across its folds into the sorted array."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import registry_keys
from bot.domain.registry_keys import SeenKeys


@given(st.lists(st.integers(min_value=0, max_value=(1 << 40)), max_size=300))
def test_membership_is_a_sets_whatever_the_keys(keys: list[int]) -> None:
    seen, expected = SeenKeys(), set()
    for key in keys:
        assert (key in seen) == (key in expected)
        seen.add(key)
        expected.add(key)
    assert all(key in seen for key in expected)
    assert -1 not in seen and "1" not in seen


def test_keys_folded_many_times_are_still_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_keys, "RECENT_LIMIT", 64)
    rng = random.Random(7)
    seen, expected = SeenKeys(), set()
    for _ in range(5_000):
        key = rng.randrange(2_000) * 16 + rng.randrange(4)
        assert (key in seen) == (key in expected)
        if key not in expected:
            seen.add(key)
            expected.add(key)
    assert len(seen._sorted) > 1_000  # most keys live in the array, each once
    assert len(set(seen._sorted)) == len(seen._sorted)


def test_a_million_keys_take_about_eight_bytes_each() -> None:
    seen = SeenKeys()
    for key in range(0, 16 * 1_000_000, 16):
        seen.add(key)
    assert seen._sorted.itemsize * len(seen._sorted) <= 8 * 1_000_000
    assert 16 * 999_999 in seen and 16 * 999_999 + 1 not in seen
