"""Eligibility rules: the data file validates, BDHV steps and cap, per-programme verdicts.

Verdicts are orientation, never promises: tests are written as the citizen's situation.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from bot.domain.eligibility import (
    DATA_DIR,
    EVALUATED,
    Affiliation,
    CareKind,
    Household,
    Likelihood,
    RsLevel,
    Verdict,
    alternatives,
    bdhv_amount,
    evaluate,
    load_rules,
    parse_rules,
    rs_level_from_score,
)
from bot.domain.programmes import PROGRAMME_NAMES
from bot.domain.registry import Programme

NO = Likelihood.NO


def _verdicts(h: Household) -> dict[Programme, Verdict]:
    return {v.programme: v for v in evaluate(load_rules(), h)}


def _verdict(h: Household, programme: Programme) -> Likelihood:
    return _verdicts(h)[programme].likelihood


def _rules_text() -> str:
    return (DATA_DIR / "eligibility.toml").read_text("utf-8")


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


def test_every_programme_has_rules_data_with_source_effective_date_and_confidence() -> None:
    rules = load_rules()
    for programme in Programme:
        facts = rules.facts(programme)
        assert rules.source_title(facts.source), programme
        assert facts.effective.year >= 2017, programme
        assert facts.tag in "VPDU", programme
        assert rules.documents[programme] and rules.next_steps[programme], programme
        assert programme in PROGRAMME_NAMES, programme
    assert Programme.B1000 in EVALUATED
    assert rules.cdh.tag == "U", "CDH amounts and withholding have no public source"


def test_rules_file_with_a_missing_source_is_rejected() -> None:
    with pytest.raises(ValidationError, match="unknown source"):
        parse_rules(_rules_text().replace('source = "DE253"', 'source = "NOPE"'))


def test_rules_file_with_inverted_cutoffs_is_rejected() -> None:
    text = _rules_text().replace(
        "poverty_cutoff = 29.77", "poverty_cutoff = 29.77\nextreme_poverty_cutoff = 40"
    )
    with pytest.raises(ValidationError, match="must not exceed"):
        parse_rules(text)


def test_rules_file_without_the_1000_dias_information_is_rejected() -> None:
    text = _rules_text().replace("[info.B1000]", "[info.BDH]")
    with pytest.raises(ValidationError, match="information text missing"):
        parse_rules(text)


def test_one_version_of_the_index_a_score_only_says_poverty_or_not() -> None:
    rules = load_rules()
    assert rules.registro_social.poverty_cutoff == Decimal("29.77")
    assert rules.registro_social.extreme_poverty_cutoff is None  # 28.20 is the older index
    assert rules.registro_social.as_of.year == 2023
    assert rs_level_from_score(Decimal("20"), rules) is RsLevel.POOR
    assert rs_level_from_score(Decimal("29.77"), rules) is RsLevel.POOR
    assert rs_level_from_score(Decimal("45"), rules) is RsLevel.NOT_POOR


def test_iess_affiliated_mother_gets_no_bdh() -> None:
    h = Household(30, RsLevel.EXTREME, Affiliation.CONTRIBUTORY, 1, 0)
    assert _verdict(h, Programme.BDHV) is NO
    assert _verdict(h, Programme.BDH) is NO


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
    assert _verdict(h, Programme.BJGL) is NO


def test_66_year_old_carer_in_extreme_poverty_gets_alternatives_not_bdh() -> None:
    h = Household(
        66, RsLevel.EXTREME, Affiliation.NONE, care_kind=CareKind.PHYSICAL, care_percent=80
    )
    verdicts = _verdicts(h)
    assert verdicts[Programme.BDH].likelihood is NO
    assert "de {low} a {high} años" in verdicts[Programme.BDH].reasons[0].template
    choices = [v.programme for v in alternatives(load_rules(), list(verdicts.values()))]
    assert set(choices) == {Programme.MMA, Programme.PAM, Programme.BJGL}


def test_70_year_old_is_not_offered_the_bdh_and_the_legacy_pension_is_evaluated() -> None:
    h = Household(70, RsLevel.POVERTY, Affiliation.NONE)
    verdicts = _verdicts(h)
    assert verdicts[Programme.BDH].likelihood is NO
    assert verdicts[Programme.PAM].likelihood is Likelihood.POSSIBLE
    assert verdicts[Programme.PAM].amount == Decimal("50.00")


def test_mma_no_for_a_household_in_poverty_prints_the_rule_that_decided_it() -> None:
    h = Household(70, RsLevel.POVERTY, Affiliation.NONE)
    mma = _verdicts(h)[Programme.MMA]
    assert mma.likelihood is NO
    assert [r.template for r in mma.reasons] == [
        "Es para hogares en extrema pobreza según el Registro Social.",
        "Usted nos dijo que su hogar está en pobreza.",
    ]


def test_caregiver_not_poor_by_the_registro_social_is_sent_to_the_balcon_not_refused() -> None:
    h = Household(
        45, RsLevel.NOT_POOR, Affiliation.NONE, care_kind=CareKind.INTELLECTUAL, care_percent=70
    )
    bjgl = _verdicts(h)[Programme.BJGL]
    assert bjgl.likelihood is Likelihood.APPLY
    assert any("Balcón de Servicios" in r.template for r in bjgl.reasons)
    assert "visita" in load_rules().next_steps[Programme.BJGL]


def test_pregnant_woman_in_poverty_may_get_1000_dias() -> None:
    h = Household(24, RsLevel.POVERTY, Affiliation.NONE, pregnancy=True)
    verdict = _verdicts(h)[Programme.B1000]
    assert verdict.likelihood is Likelihood.LIKELY
    assert verdict.amount == Decimal("50.00")
    assert any("{at_birth}" in r.template for r in verdict.reasons)


def test_household_without_pregnancy_or_baby_gets_no_1000_dias() -> None:
    h = Household(24, RsLevel.POVERTY, Affiliation.NONE)
    assert _verdict(h, Programme.B1000) is NO


def test_person_with_45_percent_disability_under_65_may_get_ptuv_or_ppd_not_both() -> None:
    h = Household(30, RsLevel.POVERTY, Affiliation.NONE, disability_percent=45)
    verdicts = _verdicts(h)
    assert verdicts[Programme.PTUV].likelihood is Likelihood.LIKELY
    assert verdicts[Programme.PPD].likelihood is Likelihood.POSSIBLE
    assert any("65 años" in r.template for r in verdicts[Programme.PTUV].reasons)
    choices = {v.programme for v in alternatives(load_rules(), list(verdicts.values()))}
    assert {Programme.PTUV, Programme.PPD, Programme.BDH} <= choices


def test_disability_pension_needs_40_percent_and_under_65() -> None:
    young = Household(30, RsLevel.POVERTY, Affiliation.NONE, disability_percent=45)
    old = Household(70, RsLevel.POVERTY, Affiliation.NONE, disability_percent=45)
    assert _verdict(young, Programme.PTUV) is Likelihood.LIKELY
    assert _verdict(old, Programme.PTUV) is NO


def test_typed_score_of_30_5_never_gives_a_no_from_the_registro_social() -> None:
    rules = load_rules()
    score = Decimal("30.5")
    h = Household(40, rs_level_from_score(score, rules), Affiliation.NONE, 1, 0, rs_score=score)
    verdicts = _verdicts(h)
    assert verdicts[Programme.BDHV].likelihood is Likelihood.POSSIBLE
    for verdict in verdicts.values():
        if verdict.likelihood is NO:
            assert not any("Registro Social" in r.template for r in verdict.reasons), verdict


def test_typed_score_of_9_does_not_make_an_extreme_poverty_promise() -> None:
    rules = load_rules()
    score = Decimal("9")
    h = Household(70, rs_level_from_score(score, rules), Affiliation.NONE, rs_score=score)
    assert _verdict(h, Programme.MMA) is Likelihood.POSSIBLE  # extreme or not is unknown
