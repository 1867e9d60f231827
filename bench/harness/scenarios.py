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


def payment(i: int, registry_rows: int) -> Sequence[Step]:
    """Menu → «¿Por qué no me llegó el pago?» → cédula → birth date → the status explained."""
    person = identity((i * 7919) % registry_rows)
    return (
        Say("hola"),
        Press("pago"),
        Say(person.cedula),
        Say(person.birth_date.strftime("%d/%m/%Y")),
    )


def eligibility(i: int, registry_rows: int) -> Sequence[Step]:
    """Menu → «¿Califico?» → every question to the verdict (a mother, or an older adult)."""
    if i % 2:
        return (
            Say("hola"),
            Press("califico"),
            Say("71"),
            Press("extrema_pobreza"),
            Press("ninguna"),
            Press("no"),
            Press("ninguno"),
        )
    return (
        Say("hola"),
        Press("califico"),
        Say("29"),
        Press("extrema_pobreza"),
        Press("ninguna"),
        Say("2"),
        Say("1"),
        Press("no"),
        Press("ninguno"),
    )


SCENARIOS = {"office": office, "payment": payment, "eligibility": eligibility}


def mixed(i: int, registry_rows: int) -> Sequence[Step]:
    """Citizen `i` runs the scenario its number picks, so every flow gets its share."""
    names = sorted(SCENARIOS)
    return SCENARIOS[names[i % len(names)]](i, registry_rows)


def echo(i: int, registry_rows: int) -> Sequence[Step]:
    """The same shape of traffic for the echo baseline (two texts, one button press)."""
    return (Say("hola"), Press("oficina"), Say(PLACES[i % len(PLACES)]))


__all__ = ["echo", "eligibility", "identity", "mixed", "office", "payment"]
