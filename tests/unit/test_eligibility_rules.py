"""Eligibility rules: the data file validates, BDHV steps and cap, per-programme verdicts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from bot.domain.eligibility import (
    DATA_DIR,
    Affiliation,
    CareKind,
    Household,
    Likelihood,
    RsLevel,
    bdhv_amount,
    evaluate,
    load_rules,
    parse_rules,
    rs_level_from_score,
)
from bot.domain.registry import Programme


def _verdict(h: Household, programme: Programme) -> Likelihood:
    return next(v.likelihood for v in evaluate(load_rules(), h) if v.programme is programme)


@pytest.mark.parametrize(
    ("under5", "older", "expected"),
    [
        (0, 0, "55.00"),
        (1, 0, "85.00"),
        (2, 1, "122.00"),
        (3, 0, "136.30"),
        (0, 3, "82.10"),
        (3, 3, "150.00"),  # 163.40 before the cap
        (5, 5, "150.00"),
    ],
)
def test_bdhv_amount_applies_per_child_steps_and_the_cap(
    under5: int, older: int, expected: str
) -> None:
    assert bdhv_amount(load_rules(), under5, older) == Decimal(expected)


def test_rules_file_has_an_effective_date_and_sources() -> None:
    rules = load_rules()
    assert rules.effective_date.year >= 2025
    assert rules.source_title(rules.bdhv.source).startswith("Decreto Ejecutivo 253")


def test_rules_file_with_a_missing_source_is_rejected() -> None:
    text = (DATA_DIR / "eligibility.toml").read_text("utf-8")
    with pytest.raises(ValidationError, match="unknown source"):
        parse_rules(text.replace('source = "DE253"', 'source = "NOPE"'))


def test_rules_file_with_inverted_cutoffs_is_rejected() -> None:
    text = (DATA_DIR / "eligibility.toml").read_text("utf-8")
    with pytest.raises(ValidationError, match="must not exceed"):
        parse_rules(text.replace("extreme_poverty_cutoff = 28.20", "extreme_poverty_cutoff = 40"))


def test_scores_are_classified_with_the_cutoffs() -> None:
    rules = load_rules()
    assert rs_level_from_score(Decimal("20"), rules) is RsLevel.EXTREME
    assert rs_level_from_score(Decimal("29"), rules) is RsLevel.POVERTY
    assert rs_level_from_score(Decimal("45"), rules) is RsLevel.NOT_POOR


def test_iess_affiliated_mother_gets_no_bdh() -> None:
    h = Household(30, RsLevel.EXTREME, Affiliation.CONTRIBUTORY, 1, 0)
    assert _verdict(h, Programme.BDHV) is Likelihood.NO
    assert _verdict(h, Programme.BDH) is Likelihood.NO


def test_seguro_campesino_does_not_exclude_bdh() -> None:
    h = Household(40, RsLevel.POVERTY, Affiliation.CAMPESINO)
    assert _verdict(h, Programme.BDH) is Likelihood.LIKELY


def test_unknown_registro_social_gives_possibly_not_likely() -> None:
    h = Household(70, RsLevel.UNKNOWN, Affiliation.NONE)
    assert _verdict(h, Programme.MMA) is Likelihood.POSSIBLE


def test_physical_disability_below_75_percent_does_not_qualify_the_caregiver() -> None:
    h = Household(
        40, RsLevel.EXTREME, Affiliation.NONE, care_kind=CareKind.PHYSICAL, care_percent=60
    )
    assert _verdict(h, Programme.BJGL) is Likelihood.NO


def test_disability_pension_needs_40_percent_and_under_65() -> None:
    young = Household(30, RsLevel.POVERTY, Affiliation.NONE, disability_percent=45)
    old = Household(70, RsLevel.POVERTY, Affiliation.NONE, disability_percent=45)
    assert _verdict(young, Programme.PTUV) is Likelihood.LIKELY
    assert _verdict(old, Programme.PTUV) is Likelihood.NO
