"""What the simulated citizens say: real flows of the product, from the menu to the answer.

Each scenario returns the steps of one citizen (a cycle it repeats). A `Press` names the option
key the flow offers; if the flow does not offer it, the citizen types «menú» and starts over
(counted as `unexpected`, so a changed flow shows up in the figures instead of hiding).
"""

from __future__ import annotations

from collections.abc import Sequence

from bench.harness.load import Press, Say, Step
from bench.harness.registry import identity

PLACES = ("Tacamoros", "Sozoranga", "Cariamanga", "Zapotillo", "Macará")


def office(i: int, registry_rows: int) -> Sequence[Step]:
    """Menu → «¿Dónde queda mi oficina?» → a parish name → the district office."""
    return (Say("hola"), Press("oficina"), Say(PLACES[i % len(PLACES)]))


SCENARIOS = {"office": office}


def mixed(i: int, registry_rows: int) -> Sequence[Step]:
    """Citizen `i` runs the scenario its number picks, so every flow gets its share."""
    names = sorted(SCENARIOS)
    return SCENARIOS[names[i % len(names)]](i, registry_rows)


def echo(i: int, registry_rows: int) -> Sequence[Step]:
    """The same shape of traffic for the echo baseline (two texts, one button press)."""
    return (Say("hola"), Press("oficina"), Say(PLACES[i % len(PLACES)]))


__all__ = ["echo", "identity", "mixed", "office"]
