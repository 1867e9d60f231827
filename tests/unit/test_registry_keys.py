"""`DiskKeys` says which keys of a batch an earlier batch held, as a set in memory would."""

from __future__ import annotations

import random

from bot.domain.registry_fast_path import keys_in_memory
from bot.services.registry_keys import DiskKeys


def test_disk_keys_answer_as_the_keys_in_memory() -> None:
    rng = random.Random(15)
    memory = keys_in_memory()
    with DiskKeys() as disk:
        for size in (0, 1, 50, 500, 5_000, 500):
            batch = list({rng.randrange(3_000) * 16 + rng.randrange(4) for _ in range(size)})
            assert disk(batch) == memory(batch)


def test_a_batch_of_new_keys_finds_nothing_and_a_repeat_finds_only_itself() -> None:
    with DiskKeys() as disk:
        assert disk([16 * n for n in range(10_000)]) == set()
        assert disk([16 * n + 1 for n in range(10_000)]) == set()
        assert disk([5, 16 * 42, 16 * 9_999 + 1, 7]) == {16 * 42, 16 * 9_999 + 1}
        assert disk([5, 7]) == {5, 7}
